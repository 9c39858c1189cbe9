/**
 * The distribution of call quality in the range: how many calls scored each half point of MOS, as the media server
 * measured it (`mos`, 1-5) and as the user's browser reported it (`browser_mos`, hundredths), counted by the database
 * in one read (grouping sets).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { DashboardRange } from './dashboard-range.ts';

/** Lower bounds of the half-point bins, 1.0 to 5.0 (the last holds exactly 5). */
export const MOS_BINS: readonly number[] = Array.from({ length: 9 }, (_, index) => 1 + index / 2);

export interface QualityBin {
  /** The bin's lower bound: scores in [mos, mos + 0.5). */
  readonly mos: number;
  readonly media: number;
  readonly browser: number;
}

export async function mosDistribution(db: Kysely<Database>, range: Pick<DashboardRange, 'from' | 'to'>): Promise<QualityBin[]> {
  // Clamped into 1-5 so that a bad report lands in an end bin rather than a bin of its own; `case` because greatest
  // and least skip nulls, which would put every call without a score in an end bin.
  const media = sql<number | null>`case when mos is not null then greatest(1, least(5, floor(mos * 2) / 2)) end`;
  const browser = sql<number | null>`case when browser_mos is not null then greatest(1, least(5, floor(browser_mos / 50.0) / 2)) end`;
  const rows = await db
    .selectFrom('cdrs')
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to)
    .where('direction', '<>', 'echo')
    .where((eb) => eb.or([eb('mos', 'is not', null), eb('browser_mos', 'is not', null)]))
    .select([media.as('media'), browser.as('browser'), sql<number>`grouping(${media})`.as('by_browser'), sql<string>`count(*)`.as('calls')])
    .groupBy(sql`grouping sets ((${media}), (${browser}))`)
    .execute();
  const counts = { media: new Map<number, number>(), browser: new Map<number, number>() };
  for (const row of rows) {
    const byBrowser = Number(row.by_browser) === 1;
    const bin = byBrowser ? row.browser : row.media;
    // Each set also has a group of the calls without that score (null): not a bin.
    if (bin !== null) (byBrowser ? counts.browser : counts.media).set(Number(bin), Number(row.calls));
  }
  return MOS_BINS.map((mos) => ({ mos, media: counts.media.get(mos) ?? 0, browser: counts.browser.get(mos) ?? 0 }));
}
