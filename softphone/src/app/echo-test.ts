/**
 * The echo test: a number (the API's `echoTestNumber` in POST /sip/credentials, `*43` by default) the media server
 * answers with the caller's own audio, free, so a new user can check microphone and speaker. The app names it
 * "Echo test" wherever it would show the number.
 */
export const ECHO_TEST_LABEL = 'Echo test';

/**
 * How the app shows a dialled number or a call's remote user: "Echo test" for the echo test's (as typed or as SIP.js
 * escaped it, `%2A43`), anything else as it is.
 * @example partyName('%2A43', '*43') // 'Echo test'
 */
export function partyName(user: string, echoTestNumber: string | null): string {
  if (echoTestNumber === null) return user;
  let unescaped = user;
  try {
    unescaped = decodeURIComponent(user);
  } catch {
    // not escaped: compared as it is
  }
  return unescaped === echoTestNumber ? ECHO_TEST_LABEL : user;
}
