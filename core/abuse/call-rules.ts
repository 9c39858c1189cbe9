/**
 * The abuse rules an outbound call must pass before any credit is reserved, in order:
 *   suspended account                       -> account-suspended
 *   destination country not allowed          -> destination-not-allowed
 *   blocked prefix or premium-rate number    -> destination-blocked
 *   too many attempts in the last 60 s       -> calls-per-minute
 * Concurrent calls and the daily spend cap are not checked here but handed to reserve() as limits: it counts
 * them under the account's balance lock, so racing calls cannot slip past (too-many-calls, daily-spend-cap).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { ReservationLimits } from '../billing/reservations.ts';
import { refusal, type Refusal } from '../calls/refusal.ts';
import { numberFacts, type E164 } from '../numbers.ts';
import { blockingPrefix, type BlockedPrefix } from './blocked-prefixes.ts';
import { accountLimits } from './call-limits.ts';
import { ANY_COUNTRY, type AbusePolicy, type CallLimits } from './policy.ts';

export type CallRulesVerdict =
  | { readonly ok: true; readonly reservationLimits: Pick<ReservationLimits, 'maxConcurrent' | 'dailySpendCap'> }
  | { readonly ok: false; readonly refusal: Refusal };

/** Why the destination may not be called, from the number plan and the account's countries; null: it may. */
export function destinationRefusal(limits: CallLimits, policy: Pick<AbusePolicy, 'blockPremiumRate'>, number: E164): Refusal | null {
  const { country, type } = numberFacts(number);
  if (!limits.allowedCountries.includes(ANY_COUNTRY) && (country === undefined || !limits.allowedCountries.includes(country))) {
    return refusal('destination-not-allowed', `country ${country ?? 'none'}`);
  }
  if (policy.blockPremiumRate && type === 'PREMIUM_RATE') return refusal('destination-blocked', 'premium rate');
  return null;
}

/** Outbound attempts (call records, the current one included) the account started in the last minute. */
async function attemptsInLastMinute(db: Kysely<Database>, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('cdrs')
    .select(sql<string | number>`count(*)`.as('attempts'))
    .where('account_id', '=', accountId)
    .where('direction', '=', 'outbound')
    // The database's clock, which stamped started_at.
    .where('started_at', '>', sql<Date>`now() - interval '60 seconds'`)
    .executeTakeFirstOrThrow();
  return Number(row.attempts);
}

/**
 * Checks a call to `number` whose attempt is already recorded (its CDR counts towards calls per minute:
 * inserting before counting means racing attempts see each other, so the limit holds).
 * @example
 * const verdict = await checkCallRules(db, policy, accountId, '+442079460958' as E164, new Date());
 * if (verdict.ok) await reserve(db, accountId, rate, { ...limits, ...verdict.reservationLimits });
 */
export async function checkCallRules(
  db: Kysely<Database>,
  policy: AbusePolicy,
  accountId: string,
  number: E164,
  now: Date,
  // A signaling node reads them through its cache (core/calls/directory.ts).
  blockedBy: (number: E164) => Promise<BlockedPrefix | undefined> = (blocked) => blockingPrefix(db, blocked),
): Promise<CallRulesVerdict> {
  const account = await accountLimits(db, policy, accountId, now);
  if (account === undefined) throw new Error(`no account ${accountId}`);
  if (account.suspension !== null) return { ok: false, refusal: refusal('account-suspended', account.suspension.reason) };
  const { limits } = account;
  const destination = destinationRefusal(limits, policy, number);
  if (destination !== null) return { ok: false, refusal: destination };
  const blocked = await blockedBy(number);
  if (blocked !== undefined) return { ok: false, refusal: refusal('destination-blocked', `prefix ${blocked.prefix}`) };
  if (limits.callsPerMinute > 0 && (await attemptsInLastMinute(db, accountId)) > limits.callsPerMinute) {
    return { ok: false, refusal: refusal('calls-per-minute') };
  }
  return { ok: true, reservationLimits: { maxConcurrent: limits.maxConcurrentCalls, dailySpendCap: limits.dailySpendCap === 0 ? null : limits.dailySpendCap } };
}
