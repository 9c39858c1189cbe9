/**
 * Pattern detection after each call: a burst of short calls to many numbers, or a spend spike, suspends the
 * account's outbound calling and alerts the operator (suspension.ts). Windows start no earlier than the last
 * lift of a suspension, so the calls that tripped it once do not trip it again.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { chargedBetween } from '../billing/spend.ts';
import type { Vault } from '../privacy/vault.ts';
import type { AbusePolicy } from './policy.ts';
import { lastLiftedAt, suspendOutbound } from './suspension.ts';

const HOUR_MS = 3_600_000;

export interface AbusePattern {
  readonly reason: 'burst-of-short-calls' | 'spend-spike';
  readonly detail: Record<string, number>;
}

function later(a: Date, b: Date | null): Date {
  return b !== null && b > a ? b : a;
}

async function burstOf(db: Kysely<Database>, policy: AbusePolicy, accountId: string, now: Date, lifted: Date | null): Promise<AbusePattern | null> {
  const { windowSeconds, shortCallSeconds, destinations } = policy.burst;
  if (destinations === 0) return null;
  const row = await db
    .selectFrom('cdrs')
    .select((eb) => eb.fn.count<string | number>('to_number').distinct().as('numbers'))
    .where('account_id', '=', accountId)
    .where('direction', '=', 'outbound')
    .where('answered_at', 'is not', null)
    .where('ended_at', '>=', later(new Date(now.getTime() - windowSeconds * 1000), lifted))
    .where('billable_seconds', '<=', shortCallSeconds)
    .executeTakeFirstOrThrow();
  const numbers = Number(row.numbers);
  return numbers >= destinations ? { reason: 'burst-of-short-calls', detail: { destinations: numbers, windowSeconds, shortCallSeconds } } : null;
}

async function spikeOf(db: Kysely<Database>, policy: AbusePolicy, accountId: string, now: Date, lifted: Date | null): Promise<AbusePattern | null> {
  const { factor, minSpend, baselineDays } = policy.spike;
  if (factor === 0) return null;
  const hourAgo = new Date(now.getTime() - HOUR_MS);
  const lastHour = await chargedBetween(db, accountId, later(hourAgo, lifted), now);
  if (lastHour < minSpend) return null;
  const baselineHours = baselineDays * 24;
  const before = await chargedBetween(db, accountId, new Date(hourAgo.getTime() - baselineHours * HOUR_MS), hourAgo);
  const usualHourly = before / baselineHours;
  return lastHour > factor * usualHourly
    ? { reason: 'spend-spike', detail: { lastHourMicros: lastHour, usualHourlyMicros: Math.round(usualHourly), factor } }
    : null;
}

/** The first pattern the account's recent calls show, or null. */
export async function detectAbuse(db: Kysely<Database>, policy: AbusePolicy, accountId: string, now: Date): Promise<AbusePattern | null> {
  const lifted = await lastLiftedAt(db, accountId);
  return (await burstOf(db, policy, accountId, now, lifted)) ?? (await spikeOf(db, policy, accountId, now, lifted));
}

/**
 * Run when an outbound call has ended and been charged: suspends on a pattern (once) and alerts the operator.
 * Returns the pattern when this call suspended the account.
 * @example const tripped = await watchAfterCall(db, vault, policy, accountId, new Date());
 */
export async function watchAfterCall(db: Kysely<Database>, vault: Vault, policy: AbusePolicy, accountId: string, now: Date): Promise<AbusePattern | null> {
  const pattern = await detectAbuse(db, policy, accountId, now);
  if (pattern === null) return null;
  const suspended = await suspendOutbound(db, vault, {
    accountId,
    reason: pattern.reason,
    detail: pattern.detail,
    alertTo: policy.alertEmail,
    contact: policy.alertEmail,
  });
  return suspended ? pattern : null;
}
