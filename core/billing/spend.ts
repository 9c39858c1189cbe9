/**
 * What an account has spent on calls, from its reservations (charges are written with the hold's close in
 * one transaction, so this never lags the ledger): closed holds by what they charged, open holds by what
 * they hold (the most the call in progress can still cost).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { micros, type Micros } from '../money.ts';

/**
 * In one read of the account's reservations: its calls in progress, what they hold, and what it spent since `since`
 * (the charges of holds closed since, plus every active hold). Under the balance lock, what a new hold may use.
 * @example const { active, reserved, spentSince } = await holdsAndSpend(trx, accountId, new Date(Date.now() - 86_400_000));
 */
export async function holdsAndSpend(
  db: Kysely<Database>,
  accountId: string,
  since: Date,
): Promise<{ readonly active: number; readonly reserved: Micros; readonly spentSince: Micros }> {
  const row = await db
    .selectFrom('reservations')
    .select([
      sql<string | number>`count(*) filter (where status = 'active')`.as('active'),
      sql<string | number>`coalesce(sum(hold) filter (where status = 'active'), 0)`.as('reserved'),
      sql<string | number>`coalesce(sum(case when status = 'active' then hold else coalesce(charged, 0) end), 0)`.as('spent'),
    ])
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('closed_at', '>=', since)]))
    .executeTakeFirstOrThrow();
  return { active: Number(row.active), reserved: micros(Number(row.reserved)), spentSince: micros(Number(row.spent)) };
}

/**
 * Charged by holds closed in [from, to): settled spend only, for comparing one period with another.
 * @example const lastHour = await chargedBetween(db, accountId, hourAgo, now);
 */
export async function chargedBetween(db: Kysely<Database>, accountId: string, from: Date, to: Date): Promise<Micros> {
  const row = await db
    .selectFrom('reservations')
    .select(sql<string | number>`coalesce(sum(charged), 0)`.as('charged'))
    .where('account_id', '=', accountId)
    .where('closed_at', '>=', from)
    .where('closed_at', '<', to)
    .executeTakeFirstOrThrow();
  return micros(Number(row.charged));
}
