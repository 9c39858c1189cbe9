// A media server's answer to a browser's re-offer keeps the BUNDLE group the connection established (core/media/bundle.ts).
import { describe, expect, it } from 'vitest';
import { withOffersBundle } from '../../../core/media/bundle.ts';

const lines = (...each: string[]) => `${each.join('\r\n')}\r\n`;
const OFFER = lines('v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=sendrecv');
const ANSWER = lines('v=0', 'o=FreeSWITCH 1 2 IN IP4 127.0.0.1', 's=FreeSWITCH', 't=0 0', 'm=audio 20000 UDP/TLS/RTP/SAVPF 111', 'a=sendrecv');

describe("keeping a browser's BUNDLE group in a media server's answer", () => {
  it('adds the group before the first m= section and the mid to the section that has none', () => {
    expect(withOffersBundle(OFFER, ANSWER)).toBe(
      lines(
        'v=0',
        'o=FreeSWITCH 1 2 IN IP4 127.0.0.1',
        's=FreeSWITCH',
        't=0 0',
        'a=group:BUNDLE 0',
        'm=audio 20000 UDP/TLS/RTP/SAVPF 111',
        'a=mid:0',
        'a=sendrecv',
      ),
    );
  });

  it('leaves an answer with a group of its own, or to an offer without one, as it is', () => {
    const grouped = ANSWER.replace('t=0 0\r\n', 't=0 0\r\na=group:BUNDLE 0\r\n');
    expect(withOffersBundle(OFFER, grouped)).toBe(grouped);
    expect(withOffersBundle(OFFER.replace('a=group:BUNDLE 0\r\n', ''), ANSWER)).toBe(ANSWER);
  });
});
