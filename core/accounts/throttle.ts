/**
 * Attempt limits for login, password reset and re-authentication: per source address and per account
 * (keyed by a digest of the e-mail address, so the limit applies the same whether or not it is registered,
 * and a 429 reveals nothing). Counted in the database, shared by every API process; a key's window opens at
 * its first hit.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AccountError } from './errors.ts';

export interface Limit {
  readonly max: number;
  readonly windowSeconds: number;
}

export const LIMITS = {
  loginPerAddress: { max: 10, windowSeconds: 900 },
  loginPerIp: { max: 50, windowSeconds: 900 },
  resetPerAddress: { max: 3, windowSeconds: 3600 },
  resetPerIp: { max: 20, windowSeconds: 3600 },
  reauthPerAccount: { max: 10, windowSeconds: 900 },
} as const satisfies Record<string, Limit>;

/**
 * A counter key: the kind of attempt and a digest of who makes it (an e-mail address or an IP), so the
 * table holds no address in clear; rows go once their window is over (retention).
 * @example
 * limitKey('login:email', 'Ana@Example.org') === limitKey('login:email', 'ana@example.org')
 */
export function limitKey(kind: string, who: string): string {
  return `${kind}:${createHash('sha256').update(who.trim().toLowerCase()).digest('hex')}`;
}

/** Counts one hit; true while the count is within the limit. The window starts at the key's first hit. */
export async function hit(db: Kysely<Database>, key: string, limit: Limit): Promise<boolean> {
  const over = sql<boolean>`rate_limit_counters.expires_at <= now()`;
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ key, window_start: sql<Date>`now()`, expires_at: sql<Date>`now() + make_interval(secs => ${limit.windowSeconds})` })
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        hits: sql<number>`case when ${over} then 1 else rate_limit_counters.hits + 1 end`,
        window_start: sql<Date>`case when ${over} then now() else rate_limit_counters.window_start end`,
        expires_at: sql<Date>`case when ${over} then excluded.expires_at else rate_limit_counters.expires_at end`,
      }),
    )
    .returning('hits')
    .executeTakeFirstOrThrow();
  return row.hits <= limit.max;
}

/**
 * Counts a hit on every key and throws `rate_limited` if any is over its limit.
 * @example
 * await throttle(db, [[limitKey('login:ip', ip), LIMITS.loginPerIp], [limitKey('login:email', email), LIMITS.loginPerAddress]]);
 */
export async function throttle(db: Kysely<Database>, keys: ReadonlyArray<readonly [string, Limit]>): Promise<void> {
  let allowed = true;
  for (const [key, limit] of keys) allowed = (await hit(db, key, limit)) && allowed;
  if (!allowed) throw new AccountError('rate_limited', 'too many attempts: wait a while and try again');
}
