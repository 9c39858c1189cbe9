/**
 * Attempt limits for login, password reset and re-authentication: per source address and per account
 * (keyed by a digest of the e-mail address, so the limit applies the same whether or not it is registered,
 * and a 429 reveals nothing). Fixed windows counted in the database, shared by every API process.
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

export function addressKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/** Counts one hit; true while the count is within the limit. */
export async function hit(db: Kysely<Database>, key: string, limit: Limit): Promise<boolean> {
  const window = limit.windowSeconds;
  const row = await db
    .insertInto('rate_limit_counters')
    .values({
      key,
      window_start: sql<Date>`to_timestamp(floor(extract(epoch from now()) / ${window}) * ${window})`,
      expires_at: sql<Date>`to_timestamp(floor(extract(epoch from now()) / ${window}) * ${window} + ${window})`,
    })
    .onConflict((conflict) => conflict.columns(['key', 'window_start']).doUpdateSet({ hits: sql<number>`rate_limit_counters.hits + 1` }))
    .returning('hits')
    .executeTakeFirstOrThrow();
  return row.hits <= limit.max;
}

/**
 * Counts a hit on every key and throws `rate_limited` if any is over its limit.
 * @example
 * await throttle(db, [[`login:ip:${ip}`, LIMITS.loginPerIp], [`login:email:${addressKey(email)}`, LIMITS.loginPerAddress]]);
 */
export async function throttle(db: Kysely<Database>, keys: ReadonlyArray<readonly [string, Limit]>): Promise<void> {
  let allowed = true;
  for (const [key, limit] of keys) allowed = (await hit(db, key, limit)) && allowed;
  if (!allowed) throw new AccountError('rate_limited', 'too many attempts: wait a while and try again');
}
