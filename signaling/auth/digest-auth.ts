/**
 * Digest authentication of a SIP request (RFC 3261 §22): the one place that decides whether a request proves
 * an account's credentials. REGISTER is challenged with 401/WWW-Authenticate, every other method with
 * 407/Proxy-Authenticate (§22.3). Failures count against the source address and the username they name
 * (brute-force guard); a blocked address is refused before any work, a blocked username before its lookup.
 */
import type { Kysely } from 'kysely';
import type { AddressBlocks } from '../../core/abuse/address-blocks.ts';
import type { WebSocketProxies } from '../../core/abuse/web-socket-proxies.ts';
import { cachedSipCredential, type DigestAlgorithm, type SipCredential } from '../../core/accounts/sip-credentials.ts';
import type { VersionedCache } from '../../core/versioned-cache.ts';
import type { Database } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { refuse, type SipReply } from '../sip-reply.ts';
import { digestChallenge, digestResponseMatches, DigestParseError, parseDigestCredentials, type DigestCredentials } from './digest.ts';
import type { NonceIssuer } from './nonces.ts';
import { logAddress } from '../../core/client-address.ts';

export interface DigestAuthDeps {
  readonly db: Kysely<Database>;
  readonly nonces: NonceIssuer;
  /** Credentials by username, emptied when any changes (the owner polls it). */
  readonly credentials: VersionedCache<string, SipCredential>;
  /** Failed authentications per address and username (core/abuse/address-blocks.ts). */
  readonly bruteForce: AddressBlocks;
  /** The WebSocket proxies whose address is every browser's, never blocked as a whole (SIP_WS_PROXIES); absent: none. */
  readonly webSocketProxies?: WebSocketProxies;
  readonly realm: string;
  /** Secret that browser credentials are derived from (shared with the api). */
  readonly credentialSecret: string;
  /** Algorithm offered in challenges; responses with either algorithm are accepted. */
  readonly challengeAlgorithm: DigestAlgorithm;
  readonly logger: Logger;
  readonly now: () => Date;
}

export interface DigestAttempt {
  readonly method: string;
  /** Authorization (REGISTER) or Proxy-Authorization (others), if the request carried one. */
  readonly authorization: string | undefined;
  readonly sourceAddress: string;
  /** The top Via's transport: ws or wss from a WebSocket proxy's address makes that address a shared one. */
  readonly transport: string | undefined;
}

/** Whether the attempt's address is a WebSocket proxy's, shared by every browser behind it. */
export const sharedSource = (deps: Pick<DigestAuthDeps, 'webSocketProxies'>, address: string, transport: string | undefined): boolean =>
  deps.webSocketProxies?.(address, transport) === true;

export interface Authenticated {
  readonly accountId: string;
  readonly username: string;
}

export type Step<T> = { readonly pass: T } | { readonly reply: SipReply };

function challenge(deps: DigestAuthDeps, method: string, stale: boolean, xReason: string): SipReply {
  const value = digestChallenge({ realm: deps.realm, nonce: deps.nonces.issue(deps.now().getTime()), algorithm: deps.challengeAlgorithm, stale });
  return method === 'REGISTER'
    ? refuse(401, 'Unauthorized', xReason, { 'WWW-Authenticate': value })
    : refuse(407, 'Proxy Authentication Required', xReason, { 'Proxy-Authenticate': value });
}

function failure(deps: DigestAuthDeps, attempt: DigestAttempt, username: string | undefined, reply: SipReply): { reply: SipReply } {
  const shared = sharedSource(deps, attempt.sourceAddress, attempt.transport);
  const blocked = deps.bruteForce.strike(attempt.sourceAddress, username, deps.now().getTime(), shared);
  if (blocked !== undefined) deps.logger.warn({ source: logAddress(attempt.sourceAddress), blocked }, 'source blocked after repeated auth failures');
  return { reply };
}

function readCredentials(deps: DigestAuthDeps, attempt: DigestAttempt): Step<DigestCredentials> {
  if (attempt.authorization === undefined) return { reply: challenge(deps, attempt.method, false, 'auth-required') };
  // Credentials in a scheme we do not offer are no credentials of ours: challenged for Digest (RFC 4475 §3.3.7).
  if (!/^\s*Digest(\s|$)/i.test(attempt.authorization)) return { reply: challenge(deps, attempt.method, false, 'unknown-auth-scheme') };
  try {
    const credentials = parseDigestCredentials(attempt.authorization);
    if (credentials.realm !== deps.realm) return { reply: challenge(deps, attempt.method, false, 'wrong-realm') };
    if (!deps.nonces.isOurs(credentials.nonce)) return failure(deps, attempt, credentials.username, challenge(deps, attempt.method, false, 'unknown-nonce'));
    // The digest `uri` is not compared with the Request-URI: UAs differ (sipp sends the next hop, phones the
    // R-URI), and the response already covers the uri it names under a nonce that cannot be reused.
    return { pass: credentials };
  } catch (error) {
    if (!(error instanceof DigestParseError)) throw error;
    return failure(deps, attempt, undefined, refuse(400, 'Malformed Authorization', 'malformed-authorization'));
  }
}

/**
 * @example
 * const auth = await authenticateDigest(deps, { method: 'INVITE', authorization, sourceAddress, transport: 'udp' });
 * if ('reply' in auth) return send(auth.reply); // 407 challenge, 403, 400
 */
export async function authenticateDigest(deps: DigestAuthDeps, attempt: DigestAttempt): Promise<Step<Authenticated>> {
  const now = deps.now();
  const blocked = { reply: refuse(403, 'Forbidden', 'source-blocked') };
  const shared = sharedSource(deps, attempt.sourceAddress, attempt.transport);
  if (deps.bruteForce.isAddressBlocked(attempt.sourceAddress, now.getTime(), shared)) return blocked;
  const read = readCredentials(deps, attempt);
  if ('reply' in read) return read;
  const credentials = read.pass;
  // Blocked for this username only: the address's other users still get through.
  if (deps.bruteForce.isBlocked(attempt.sourceAddress, credentials.username, now.getTime(), shared)) return blocked;
  const credential = await cachedSipCredential(deps.credentials, deps.db, { secret: deps.credentialSecret, realm: deps.realm, now }, credentials.username);
  if (credential.kind === 'expired') return { reply: refuse(403, 'Credentials Expired', 'credentials-expired') };
  const ha1 = credential.kind === 'known' ? credential.ha1[credentials.algorithm] : undefined;
  if (credential.kind === 'unknown' || ha1 === undefined || !digestResponseMatches(credentials, attempt.method, ha1)) {
    // Unknown user and wrong password look the same from outside.
    return failure(deps, attempt, credentials.username, refuse(403, 'Forbidden', 'bad-credentials'));
  }
  // Only now, with the password proven, does a stale or replayed nonce mean "ask again" (RFC 7616 stale=true).
  const verdict = deps.nonces.check(credentials.nonce, credentials.nc, now.getTime());
  if (verdict !== 'fresh') return { reply: challenge(deps, attempt.method, true, `nonce-${verdict}`) };
  return { pass: { accountId: credential.accountId, username: credentials.username } };
}
