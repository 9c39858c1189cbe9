import { describe, expect, it } from 'vitest';
import { normalisePin, peerCertificateProblem, srtpSdpProblem, trunkSecurityProblem } from '../../../core/calls/trunk-security.ts';
import { parseTrunkUri, type TrunkUri } from '../../../core/calls/trunk-uri.ts';

const PIN = 'AB:'.repeat(31) + 'CD';
const uri = (text: string): TrunkUri => {
  const parsed = parseTrunkUri(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.uri;
};
const none = { tls_ca_pem: null, tls_pin_sha256: null, media_encryption: 'none' } as const;

describe('trunk security', () => {
  it('normalises a pin written with or without colons, in either case, and refuses anything else', () => {
    expect(normalisePin('ab'.repeat(31) + 'cd')).toBe(PIN);
    expect(normalisePin(PIN.toLowerCase())).toBe(PIN);
    expect(normalisePin('AB:CD')).toBeUndefined();
    expect(normalisePin('ZZ'.repeat(32))).toBeUndefined();
  });

  it.each([
    ['a pin on a UDP trunk', { ...none, tls_pin_sha256: PIN }, 'sip:carrier.example', /needs a TLS outbound URI/],
    [
      'SDES on a UDP trunk (its keys would travel in clear)',
      { ...none, media_encryption: 'sdes' as const },
      'sip:carrier.example;transport=udp',
      /keys travel in the SDP/,
    ],
    ['a malformed pin', { ...none, tls_pin_sha256: 'AB' }, 'sips:carrier.example', /64 hex digits/],
    ['a CA that is not PEM', { ...none, tls_ca_pem: 'not a certificate' }, 'sip:carrier.example;transport=tls', /not a PEM certificate/],
  ])('refuses %s', (_name, security, outbound, problem) => {
    expect(trunkSecurityProblem(security, uri(outbound))).toMatch(problem);
  });

  it('takes a pin and SDES on a sips: trunk', () => {
    expect(
      trunkSecurityProblem({ tls_ca_pem: null, tls_pin_sha256: PIN.toLowerCase(), media_encryption: 'sdes' }, uri('sips:carrier.example')),
    ).toBeUndefined();
  });

  it("judges a carrier's certificate by the trunk's CA and pin", () => {
    const trusted = { authorizationError: undefined, fingerprint256: PIN };
    expect(peerCertificateProblem({ tls_ca_pem: 'PEM', tls_pin_sha256: null }, trusted)).toBeUndefined();
    expect(peerCertificateProblem({ tls_ca_pem: 'PEM', tls_pin_sha256: null }, { ...trusted, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).toMatch(
      /not trusted by the trunk's CA/,
    );
    // A pin alone takes any issuer: the fingerprint decides.
    expect(peerCertificateProblem({ tls_ca_pem: null, tls_pin_sha256: PIN }, { ...trusted, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' })).toBeUndefined();
    expect(peerCertificateProblem({ tls_ca_pem: null, tls_pin_sha256: PIN }, { ...trusted, fingerprint256: 'CD:'.repeat(31) + 'AB' })).toMatch(
      /does not match/,
    );
  });

  it('takes only SRTP with a key for an SDES trunk', () => {
    const sdp = (audio: string, extra = '') => `v=0\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n${audio}\r\na=rtpmap:0 PCMU/8000\r\n${extra}`;
    expect(
      srtpSdpProblem(sdp('m=audio 4000 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyAoc2VxKSB7\r\n')),
    ).toBeUndefined();
    expect(srtpSdpProblem(sdp('m=audio 4000 RTP/AVP 0'))).toBe('plain RTP (RTP/AVP)');
    expect(srtpSdpProblem(sdp('m=audio 4000 RTP/SAVP 0'))).toMatch(/without an a=crypto key/);
    expect(srtpSdpProblem(sdp('m=audio 0 RTP/SAVP 0'))).toBe('no audio');
  });
});
