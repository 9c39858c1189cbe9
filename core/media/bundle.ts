/**
 * A media server's answer to a browser that re-offers on a connection already up (an attended transfer moves it onto
 * a new channel): Chrome refuses an answer that leaves out the BUNDLE group its connection established ("Answer cannot
 * remove m= section ... from already-established BUNDLE group", RFC 8843 §7.3), and FreeSWITCH answers without one.
 */

/**
 * The answer with the offer's BUNDLE group and each m= section's mid (by position) when it has none; else as it is.
 * @example
 * withOffersBundle(browserReOffer, freeswitchAnswer); // the answer, plus a=group:BUNDLE 0 and a=mid:0
 */
export function withOffersBundle(offer: string, answer: string): string {
  const eol = answer.includes('\r\n') ? '\r\n' : '\n';
  const group = /^a=group:BUNDLE [^\r\n]*/m.exec(offer)?.[0];
  if (group === undefined || /^a=group:BUNDLE /m.test(answer)) return answer;
  const mids = offer
    .split(/^m=/m)
    .slice(1)
    .map((section) => /^a=mid:([^\r\n]*)/m.exec(section)?.[1]);
  const [session = '', ...sections] = answer.split(new RegExp(`(?=^m=)`, 'm'));
  const withMids = sections.map((section, index) => {
    const mid = mids[index];
    if (mid === undefined || /^a=mid:/m.test(section)) return section;
    const [mLine = '', ...rest] = section.split(eol);
    return [mLine, `a=mid:${mid}`, ...rest].join(eol);
  });
  return `${session}${group}${eol}${withMids.join('')}`;
}
