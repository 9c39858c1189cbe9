/**
 * SIP credentials. Two kinds:
 * - Browser credentials: short-lived, issued by the api to a signed-in user. The username carries the account and
 *   the expiry; the password is an HMAC of the username under a server secret. The registrar recomputes it, so no
 *   table lookup is needed and no long-lived SIP secret ever sits in a browser (the TURN REST API scheme).
 * - Static credentials for desk phones: stored only as HA1 digests (RFC 7616 §3.4.2), never in plaintext.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { VersionedCache } from '../versioned-cache.ts';

export type DigestAlgorithm = 'MD5' | 'SHA-256';
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** H(data) for a digest algorithm, as lowercase hex. */
export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(HASH[algorithm]).update(data, 'utf8').digest('hex');
}

/** HA1 = H(username:realm:password) — what a registrar may store instead of the password. */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

export interface BrowserCredentials {
  readonly username: string;
  readonly password: string;
  readonly expiresAt: Date;
}

// `<account uuid>.<expiry, unix seconds>`: only characters a SIP URI user part takes unescaped (RFC 3261 §25.1).
const BROWSER_USERNAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{10})$/;

/** Whether a browser username's expiry (part of the username) has passed; false for any other username. */
function browserExpired(username: string, now: Date): boolean {
  const browser = BROWSER_USERNAME.exec(username);
  return browser !== null && Number(browser[2]) * 1000 <= now.getTime();
}

function browserPassword(secret: string, username: string): string {
  return createHmac('sha256', secret).update(username).digest('base64url');
}

/**
 * @example
 * const { username, password } = issueBrowserCredentials(secret, account.id, new Date(), 3600);
 * // hand both to the softphone over the authenticated API; they stop working after an hour
 */
export function issueBrowserCredentials(secret: string, accountId: string, now: Date, ttlSeconds: number): BrowserCredentials {
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${accountId}.${expiry}`;
  return { username, password: browserPassword(secret, username), expiresAt: new Date(expiry * 1000) };
}

/** What a registrar knows about a username, before checking the digest response. */
export type SipCredential =
  | { readonly kind: 'known'; readonly accountId: string; readonly ha1: Readonly<Partial<Record<DigestAlgorithm, string>>> }
  | { readonly kind: 'expired'; readonly accountId: string }
  | { readonly kind: 'unknown' };

/**
 * Finds the HA1s to check a digest response against: computed for a browser username, stored for a static one.
 * Only active accounts have credentials.
 */
export async function findSipCredential(db: Kysely<Database>, options: { secret: string; realm: string; now: Date }, username: string): Promise<SipCredential> {
  const browser = BROWSER_USERNAME.exec(username);
  if (browser) {
    const [, accountId] = browser as unknown as [string, string];
    const account = await db.selectFrom('accounts').select('id').where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
    if (account === undefined) return { kind: 'unknown' };
    if (browserExpired(username, options.now)) return { kind: 'expired', accountId };
    const password = browserPassword(options.secret, username);
    return {
      kind: 'known',
      accountId,
      ha1: { MD5: ha1('MD5', username, options.realm, password), 'SHA-256': ha1('SHA-256', username, options.realm, password) },
    };
  }
  const row = await db
    .selectFrom('sip_credentials')
    .innerJoin('accounts', 'accounts.id', 'sip_credentials.account_id')
    .select(['sip_credentials.account_id', 'sip_credentials.ha1_md5', 'sip_credentials.ha1_sha256'])
    .where('sip_credentials.username', '=', username)
    .where('sip_credentials.realm', '=', options.realm)
    .where('accounts.status', '=', 'active')
    .executeTakeFirst();
  if (row === undefined) return { kind: 'unknown' };
  return { kind: 'known', accountId: row.account_id, ha1: { MD5: row.ha1_md5, 'SHA-256': row.ha1_sha256 } };
}

/**
 * {@link findSipCredential} through a cache that the `sip-credentials` version counter keeps honest (a suspended
 * account or a changed password is seen within one poll). Only known credentials are kept, and a browser
 * username's expiry, which is part of the username, is checked on every use.
 */
export async function cachedSipCredential(
  cache: VersionedCache<string, SipCredential>,
  db: Kysely<Database>,
  options: { secret: string; realm: string; now: Date },
  username: string,
): Promise<SipCredential> {
  const found = await cache.get(username, options.now.getTime(), () => findSipCredential(db, options, username), {
    keep: (credential) => credential.kind === 'known',
  });
  return found.kind === 'known' && browserExpired(username, options.now) ? { kind: 'expired', accountId: found.accountId } : found;
}

/** Stores (or replaces) a static SIP credential as HA1s; the password itself is not kept. */
export async function setStaticSipCredential(
  db: Kysely<Database>,
  input: { accountId: string; username: string; realm: string; password: string },
): Promise<void> {
  const values = {
    account_id: input.accountId,
    username: input.username,
    realm: input.realm,
    ha1_md5: ha1('MD5', input.username, input.realm, input.password),
    ha1_sha256: ha1('SHA-256', input.username, input.realm, input.password),
  };
  await db
    .insertInto('sip_credentials')
    .values(values)
    .onConflict((conflict) => conflict.columns(['username', 'realm']).doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
