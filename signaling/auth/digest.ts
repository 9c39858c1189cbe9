/**
 * HTTP Digest for SIP (RFC 3261 §22.4, RFC 7616, RFC 8760 for SHA-256): parsing the Authorization header,
 * building challenges, and checking a response against a stored HA1. qop=auth only: the nonce count it
 * brings is what lets the registrar refuse replays.
 */
import { DIGEST_ALGORITHMS, digestHash, sameDigest, type DigestAlgorithm } from '../../core/accounts/sip-credentials.ts';

export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop: 'auth';
  /** Nonce count, parsed from its 8 hex digits. */
  readonly nc: number;
  readonly cnonce: string;
}

export class DigestParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestParseError';
  }
}

/** Splits `Digest a="x", b=y` into parameters (RFC 7235 §2.1 auth-param, with quoted-string escapes). */
function authParams(header: string): Map<string, string> {
  const match = /^\s*Digest\s+/i.exec(header);
  if (!match) throw new DigestParseError('not a Digest authorization');
  const params = new Map<string, string>();
  let i = match[0].length;
  while (i < header.length) {
    const name = /^\s*([A-Za-z0-9_-]+)\s*=\s*/.exec(header.slice(i));
    if (!name?.[1]) throw new DigestParseError(`malformed parameter at offset ${i}`);
    i += name[0].length;
    let value = '';
    if (header[i] === '"') {
      i++;
      for (; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
      if (header[i] !== '"') throw new DigestParseError(`unterminated quoted value for ${name[1]}`);
      i++;
    } else {
      const token = /^[^\s,]*/.exec(header.slice(i))?.[0] ?? '';
      value = token;
      i += token.length;
    }
    const key = name[1].toLowerCase();
    if (params.has(key)) throw new DigestParseError(`duplicate parameter ${key}`);
    params.set(key, value);
    const separator = /^\s*(,\s*|$)/.exec(header.slice(i));
    if (!separator) throw new DigestParseError(`expected "," after ${key}`);
    i += separator[0].length;
  }
  return params;
}

/** Parses an Authorization / Proxy-Authorization header value; throws {@link DigestParseError} on anything malformed. */
export function parseDigestCredentials(header: string): DigestCredentials {
  const params = authParams(header);
  const required = (key: string): string => {
    const value = params.get(key);
    if (value === undefined || value === '') throw new DigestParseError(`missing ${key}`);
    return value;
  };
  const algorithm = (params.get('algorithm') ?? 'MD5').toUpperCase();
  if (!(DIGEST_ALGORITHMS as readonly string[]).includes(algorithm)) throw new DigestParseError(`unsupported algorithm ${algorithm}`);
  const qop = required('qop');
  if (qop !== 'auth') throw new DigestParseError(`unsupported qop ${qop}`);
  const nc = required('nc');
  if (!/^[0-9a-fA-F]{8}$/.test(nc)) throw new DigestParseError('nc must be 8 hex digits');
  const response = required('response');
  if (!/^[0-9a-fA-F]+$/.test(response)) throw new DigestParseError('response must be hex');
  return {
    username: required('username'),
    realm: required('realm'),
    nonce: required('nonce'),
    uri: required('uri'),
    response: response.toLowerCase(),
    algorithm: algorithm as DigestAlgorithm,
    qop: 'auth',
    nc: Number.parseInt(nc, 16),
    cnonce: required('cnonce'),
  };
}

/** A WWW-Authenticate / Proxy-Authenticate value. */
export function digestChallenge(options: { realm: string; nonce: string; algorithm: DigestAlgorithm; stale: boolean }): string {
  const stale = options.stale ? ', stale=true' : '';
  return `Digest realm="${options.realm}", nonce="${options.nonce}", algorithm=${options.algorithm}, qop="auth"${stale}`;
}

/** Whether the response proves knowledge of the password behind `ha1` (RFC 7616 §3.4.1, qop=auth). */
export function digestResponseMatches(credentials: DigestCredentials, method: string, ha1: string): boolean {
  const { algorithm, nonce, nc, cnonce, qop, uri } = credentials;
  const ha2 = digestHash(algorithm, `${method}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const expected = digestHash(algorithm, `${ha1}:${nonce}:${ncHex}:${cnonce}:${qop}:${ha2}`);
  return sameDigest(expected, credentials.response);
}
