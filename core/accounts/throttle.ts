/**
 * Attempt limits for sign-up, login, password reset and re-authentication: per source address and per account
 * (keyed by the e-mail address as typed, so the limit applies the same whether or not it is registered, and a
 * 429 reveals nothing). Counted in the database, shared by every API process; a key's window opens at its
 * first hit. Keys are HMACs under the privacy key, so the table holds nothing anyone can test a guess against.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { PrivacyTools } from '../privacy/data-source.ts';
import { AccountError } from './errors.ts';

export interface Limit {
  readonly max: number;
  readonly windowSeconds: number;
}

export interface AuthLimits {
  /** Failed logins from one source address (successes are not counted). */
  readonly loginFailuresPerIp: Limit;
  /**
   * Failed logins for one address, from anywhere: above the per-IP limit, so a single attacker's source is blocked
   * before the account; it stops distributed guessing, and the owner lifts it with a password reset.
   */
  readonly loginFailuresPerAddress: Limit;
  /** Reset mails asked for one address, and from one source. */
  readonly resetPerAddress: Limit;
  readonly resetPerIp: Limit;
  /** Wrong passwords at a sensitive step (password change, deletion) of one signed-in account. */
  readonly reauthPerAccount: Limit;
  /** Sign-ups (each mails the address; signing up again is how a new verification link is sent) per address and source. */
  readonly signupPerAddress: Limit;
  readonly signupPerIp: Limit;
  /** Changes of address one signed-in account asks for (each mails the new address a link). */
  readonly emailChangePerAccount: Limit;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  loginFailuresPerIp: { max: 10, windowSeconds: 900 },
  loginFailuresPerAddress: { max: 30, windowSeconds: 3600 },
  resetPerAddress: { max: 3, windowSeconds: 3600 },
  resetPerIp: { max: 20, windowSeconds: 3600 },
  reauthPerAccount: { max: 10, windowSeconds: 900 },
  signupPerAddress: { max: 5, windowSeconds: 3600 },
  signupPerIp: { max: 20, windowSeconds: 3600 },
  emailChangePerAccount: { max: 5, windowSeconds: 3600 },
};

/** Counters keyed by an e-mail address: the ones erasure removes with the account. */
export const ADDRESS_COUNTERS = ['login:email', 'reset:email', 'signup:email'] as const;
/** Counters keyed by an account's id: erasure removes these too. */
export const ACCOUNT_COUNTERS = ['reauth:account', 'email-change:account'] as const;
export type CounterKind = (typeof ADDRESS_COUNTERS)[number] | (typeof ACCOUNT_COUNTERS)[number] | 'login:ip' | 'reset:ip' | 'signup:ip';

/**
 * A counter key: the kind of attempt and a keyed digest of who makes it (an address, an IP, an account id).
 * @example
 * counterKey(tools, 'login:email', 'Ana@Example.org') === counterKey(tools, 'login:email', 'ana@example.org')
 */
export function counterKey(tools: PrivacyTools, kind: CounterKind, who: string): string {
  return `${kind}:${tools.deidentify(who.trim().toLowerCase())}`;
}

/** How attempts are counted: the limits, and the privacy key that turns who makes an attempt into a counter key. */
export interface AttemptLimiter {
  readonly limits: AuthLimits;
  key(kind: CounterKind, who: string): string;
}

export function attemptLimiter(tools: PrivacyTools, limits: AuthLimits): AttemptLimiter {
  return { limits, key: (kind, who) => counterKey(tools, kind, who) };
}

export type Counted = ReadonlyArray<readonly [key: string, limit: Limit]>;

/** Counts one hit; returns the count and the seconds until the key's window is over. */
async function hit(db: Kysely<Database>, key: string, limit: Limit): Promise<{ hits: number; secondsLeft: number }> {
  const over = sql<boolean>`rate_limit_counters.expires_at <= now()`;
  return db
    .insertInto('rate_limit_counters')
    .values({ key, window_start: sql<Date>`now()`, expires_at: sql<Date>`now() + make_interval(secs => ${limit.windowSeconds})` })
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        hits: sql<number>`case when ${over} then 1 else rate_limit_counters.hits + 1 end`,
        window_start: sql<Date>`case when ${over} then now() else rate_limit_counters.window_start end`,
        expires_at: sql<Date>`case when ${over} then excluded.expires_at else rate_limit_counters.expires_at end`,
      }),
    )
    .returning(['hits', sql<number>`ceil(extract(epoch from rate_limit_counters.expires_at - now()))::int`.as('secondsLeft')])
    .executeTakeFirstOrThrow();
}

/**
 * Counts an attempt on every key; if any is over its limit, takes the hits back (a refused attempt counts
 * nowhere, so a blocked source cannot push an account's count up) and throws `rate_limited` with the seconds
 * until that window is over. Counting before acting keeps parallel attempts within the limit.
 * @example
 * await throttle(db, [[limiter.key('reset:ip', ip), limiter.limits.resetPerIp]]);
 */
export async function throttle(db: Kysely<Database>, keys: Counted): Promise<void> {
  let retryAfterSeconds = 0;
  for (const [key, limit] of keys) {
    const { hits, secondsLeft } = await hit(db, key, limit);
    if (hits > limit.max) retryAfterSeconds = Math.max(retryAfterSeconds, secondsLeft, 1);
  }
  if (retryAfterSeconds === 0) return;
  await forgive(db, keys);
  throw new AccountError('rate_limited', 'too many attempts: wait a while and try again', retryAfterSeconds);
}

/** Takes back the hit {@link throttle} counted, for an attempt that turned out not to count (a successful login). */
export async function forgive(db: Kysely<Database>, keys: Counted): Promise<void> {
  await db
    .updateTable('rate_limit_counters')
    .set({ hits: sql<number>`greatest(hits - 1, 0)` })
    .where(
      'key',
      'in',
      keys.map(([key]) => key),
    )
    .execute();
}

/**
 * Forgets the counters of the given keys (a password reset lifts a lock-out; erasure removes an address's counters).
 * @example
 * await clearCounters(db, [limiter.key('login:email', account.email)]);
 */
export async function clearCounters(db: Kysely<Database>, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  return Number((await db.deleteFrom('rate_limit_counters').where('key', 'in', keys).executeTakeFirst()).numDeletedRows);
}
