// Whether the far end's re-INVITE holds us: its SDP's sendonly or inactive, at session or media level (RFC 3264 §8.4).
import { describe, expect, it } from 'vitest';
import { offersHold } from '../../../softphone/src/phone/sdp-hold.ts';

const sdp = (...attributes: string[]) =>
  ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', ...attributes, ''].join('\r\n');

describe('offersHold', () => {
  it('is true for sendonly and inactive, false for sendrecv, recvonly or no direction', () => {
    expect(offersHold(sdp('a=rtpmap:111 opus/48000/2', 'a=sendonly'))).toBe(true);
    expect(offersHold(sdp('a=inactive'))).toBe(true);
    expect(offersHold(sdp('a=sendrecv'))).toBe(false);
    expect(offersHold(sdp('a=recvonly'))).toBe(false);
    expect(offersHold(sdp('a=rtpmap:111 opus/48000/2'))).toBe(false);
    // Not fooled by an attribute that only starts the same.
    expect(offersHold(sdp('a=sendonlyish'))).toBe(false);
  });
});
