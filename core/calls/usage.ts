/**
 * What a user's calls came to, per day (UTC) and per destination country: talk time and spend, summed by the
 * database over the (account_id, started_at) index, so a long history never comes into Node.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { micros, type Micros } from '../money.ts';
import { historyWhere, type SealedHistoryFilter } from './history-filter.ts';

export interface UsageTotals {
  readonly calls: number;
  /** Answered time, each call's rounded up to the second as billing does (core/calls/call-state.ts talkSeconds). */
  readonly seconds: number;
  readonly spend: Micros;
}

export interface UsageSummary {
  /** Days (YYYY-MM-DD, UTC) with at least one call, oldest first. */
  readonly days: readonly (UsageTotals & { readonly day: string })[];
  /** Countries called (ISO 3166 alpha-2; null: none or unknown), by spend then talk time, most first. */
  readonly countries: readonly (UsageTotals & { readonly country: string | null })[];
  readonly total: UsageTotals;
}

/**
 * @example const usage = await usageSummary(db, accountId, { from: new Date('2026-11-01'), to: new Date('2026-12-01') });
 */
export async function usageSummary(db: Kysely<Database>, accountId: string, filter: SealedHistoryFilter): Promise<UsageSummary> {
  const totals = [
    sql<string | number>`count(*)`.as('calls'),
    sql<string | number>`coalesce(sum(ceil(extract(epoch from (ended_at - answered_at)))), 0)`.as('seconds'),
    sql<string | number>`coalesce(sum(cost), 0)`.as('spend'),
  ] as const;
  const day = sql<string | null>`to_char(started_at at time zone 'UTC', 'YYYY-MM-DD')`;
  // One read of the rows for both sums (grouping sets): `by_day` tells a day's row from a country's (whose key may be null).
  const rows = await db
    .selectFrom('cdrs')
    .where((eb) => historyWhere(eb, accountId, filter))
    .select([day.as('day'), 'destination_country', sql<number>`grouping(destination_country)`.as('by_day'), ...totals])
    .groupBy(sql`grouping sets ((${day}), (destination_country))`)
    .execute();
  const days = rows.filter((row) => Number(row.by_day) === 1).sort((a, b) => String(a.day).localeCompare(String(b.day)));
  const countries = rows.filter((row) => Number(row.by_day) === 0);
  const figures = (row: { calls: string | number; seconds: string | number; spend: string | number }): UsageTotals => ({
    calls: Number(row.calls),
    seconds: Number(row.seconds),
    spend: micros(Number(row.spend)),
  });
  const byCountry = countries
    .map((row) => ({ country: row.destination_country, ...figures(row) }))
    .sort((a, b) => b.spend - a.spend || b.seconds - a.seconds || String(a.country).localeCompare(String(b.country)));
  const total = byCountry.reduce((sum, row) => ({ calls: sum.calls + row.calls, seconds: sum.seconds + row.seconds, spend: micros(sum.spend + row.spend) }), {
    calls: 0,
    seconds: 0,
    spend: micros(0),
  });
  return { days: days.map((row) => ({ day: String(row.day), ...figures(row) })), countries: byCountry, total };
}
