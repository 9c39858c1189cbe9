/**
 * Money in and out per UTC day, from the ledger (the one record of every amount): what calls were charged and what
 * top-ups credited, summed by the database over 0049's (created_at, kind) index.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { micros, type Micros } from '../money.ts';
import { bucketsOf, type DashboardRange } from './dashboard-range.ts';

export interface MoneyFlowDay {
  /** The day's start, ISO 8601 UTC. */
  readonly start: string;
  /** Charged for calls (positive). */
  readonly spend: Micros;
  /** Credited by top-ups. */
  readonly topUps: Micros;
}

export interface MoneyFlow {
  /** Every day of the range, oldest first, empty ones included. */
  readonly days: readonly MoneyFlowDay[];
  readonly total: { readonly spend: Micros; readonly topUps: Micros };
}

export async function moneyFlowOf(db: Kysely<Database>, range: Pick<DashboardRange, 'from' | 'to'>): Promise<MoneyFlow> {
  // The expression 0049 keeps statistics of: the planner then knows how few days there are.
  const day = sql`date_trunc('day', created_at at time zone 'UTC')`;
  const rows = await db
    .selectFrom('ledger_entries')
    .where('created_at', '>=', range.from)
    .where('created_at', '<', range.to)
    .where('kind', 'in', ['call_charge', 'top_up'])
    .select([
      sql<Date>`${day} at time zone 'UTC'`.as('start'),
      // Charges are written negative (core/billing/reservations.ts): spend is their opposite.
      sql<string>`coalesce(-sum(amount) filter (where kind = 'call_charge'), 0)`.as('spend'),
      sql<string>`coalesce(sum(amount) filter (where kind = 'top_up'), 0)`.as('top_ups'),
    ])
    .groupBy(day)
    .execute();
  const byStart = new Map(rows.map((row) => [row.start.toISOString(), row]));
  const days = bucketsOf({ ...range, bucket: 'day' }).map((start) => {
    const row = byStart.get(start);
    return { start, spend: micros(Number(row?.spend ?? 0)), topUps: micros(Number(row?.top_ups ?? 0)) };
  });
  const total = days.reduce((sum, row) => ({ spend: micros(sum.spend + row.spend), topUps: micros(sum.topUps + row.topUps) }), {
    spend: micros(0),
    topUps: micros(0),
  });
  return { days, total };
}
