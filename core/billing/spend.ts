/**
 * What an account has spent on calls, from its reservations (charges are written with the hold's close in
 * one transaction, so this never lags the ledger): closed holds by what they charged, open holds by what
 * they hold (the most the call in progress can still cost).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { micros, type Micros } from '../money.ts';

/**
 * Charges of holds closed at or after `since` plus every active hold.
 * @example const today = await spendSince(trx, accountId, new Date(Date.now() - 86_400_000));
 */
export async function spendSince(db: Kysely<Database>, accountId: string, since: Date): Promise<Micros> {
  const row = await db
    .selectFrom('reservations')
    .select(sql<string | number>`coalesce(sum(case when status = 'active' then hold else coalesce(charged, 0) end), 0)`.as('spent'))
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('status', '=', 'active'), eb('closed_at', '>=', since)]))
    .executeTakeFirstOrThrow();
  return micros(Number(row.spent));
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
