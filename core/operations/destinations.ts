/**
 * The busiest destinations of calls placed in the range, by country: the numbers themselves are sealed under each
 * account's key (core/calls/cdr.ts), so the country written when the record was opened (0048) is the finest key the
 * database can group by.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { micros, type Micros } from '../money.ts';
import type { DashboardRange } from './dashboard-range.ts';

export interface Destination {
  /** ISO 3166 alpha-2; null: none or unknown. */
  readonly country: string | null;
  readonly calls: number;
  readonly answered: number;
  /** Answered time, each call rounded up to the second. */
  readonly seconds: number;
  readonly spend: Micros;
}

/** Calls users placed (to the network or to another user), the `limit` busiest by calls, then spend. */
export async function busiestDestinations(db: Kysely<Database>, range: Pick<DashboardRange, 'from' | 'to'>, limit: number): Promise<Destination[]> {
  const rows = await db
    .selectFrom('cdrs')
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to)
    .where('direction', 'in', ['outbound', 'onnet'])
    .select([
      'destination_country',
      sql<string>`count(*)`.as('calls'),
      sql<string>`count(answered_at)`.as('answered'),
      sql<string>`coalesce(sum(ceil(extract(epoch from (ended_at - answered_at)))), 0)`.as('seconds'),
      sql<string>`coalesce(sum(cost), 0)`.as('spend'),
    ])
    .groupBy('destination_country')
    .orderBy(sql`count(*)`, 'desc')
    .orderBy(sql`coalesce(sum(cost), 0)`, 'desc')
    .orderBy('destination_country')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    country: row.destination_country,
    calls: Number(row.calls),
    answered: Number(row.answered),
    seconds: Number(row.seconds),
    spend: micros(Number(row.spend)),
  }));
}
