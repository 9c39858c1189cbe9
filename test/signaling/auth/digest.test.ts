import { describe, expect, it } from 'vitest';
import { ha1 } from '../../../core/accounts/sip-credentials.ts';
import { digestChallenge, digestResponseMatches, DigestParseError, parseDigestCredentials } from '../../../signaling/auth/digest.ts';

// RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5.
const rfc7616 = (algorithm: string, response: string) =>
  `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=${algorithm}, ` +
  `nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ` +
  `qop=auth, response="${response}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;

describe('digest authentication', () => {
  it.each([
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
  ] as const)('verifies the RFC 7616 %s example and rejects a wrong password', (algorithm, response) => {
    const credentials = parseDigestCredentials(rfc7616(algorithm, response));
    expect(credentials).toMatchObject({ username: 'Mufasa', algorithm, nc: 1, qop: 'auth' });
    expect(digestResponseMatches(credentials, 'GET', ha1(algorithm, 'Mufasa', 'http-auth@example.org', 'Circle of Life'))).toBe(true);
    expect(digestResponseMatches(credentials, 'GET', ha1(algorithm, 'Mufasa', 'http-auth@example.org', 'circle of life'))).toBe(false);
    expect(digestResponseMatches(credentials, 'POST', ha1(algorithm, 'Mufasa', 'http-auth@example.org', 'Circle of Life'))).toBe(false);
  });

  it('reads quoted values with escapes and commas', () => {
    const credentials = parseDigestCredentials(
      'Digest username="a\\"b", realm="x, y", nonce="n", uri="sip:x", response="ab", qop=auth, nc=0000000a, cnonce="c"',
    );
    expect(credentials).toMatchObject({ username: 'a"b', realm: 'x, y', nc: 10, algorithm: 'MD5' });
  });

  it.each([
    ['Basic dXNlcjpwYXNz', /not a Digest/],
    ['Digest username="u", realm="r"', /missing qop/],
    ['Digest username="u", realm="r", nonce="n", uri="u", response="zz", qop=auth, nc=00000001, cnonce="c"', /response must be hex/],
    ['Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth-int, nc=00000001, cnonce="c"', /unsupported qop/],
    ['Digest username="u", realm="r", nonce="n", uri="u", response="ab", nc=00000001, cnonce="c"', /missing qop/],
    ['Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, nc=1, cnonce="c"', /nc must be 8 hex/],
    ['Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, nc=00000001, cnonce="c", algorithm=SHA-512-256', /unsupported algorithm/],
    ['Digest username="u", username="v"', /duplicate parameter/],
    ['Digest username="unterminated', /unterminated/],
    ['Digest username="u" realm="r"', /expected ","/],
    ['Digest =x', /malformed parameter/],
  ])('rejects %s', (header, message) => {
    expect(() => parseDigestCredentials(header)).toThrow(DigestParseError);
    expect(() => parseDigestCredentials(header)).toThrow(message);
  });

  it('builds a challenge a client can parse back', () => {
    expect(digestChallenge({ realm: 'dialo', nonce: 'abc', algorithm: 'SHA-256', stale: true })).toBe(
      'Digest realm="dialo", nonce="abc", algorithm=SHA-256, qop="auth", stale=true',
    );
  });
});
