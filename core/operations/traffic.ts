/**
 * Calls per bucket, answered and not, with the answer-seizure ratio (ASR) and average call duration (ACD): one
 * `group by grouping sets` over the cdrs started in the range (0025's started_at index), never the rows in Node.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { bucketsOf, type DashboardRange } from './dashboard-range.ts';

export interface TrafficFigures {
  /** Answered, whether over or still up. */
  readonly answered: number;
  /** Refused by us or failed at the carrier (phases refused, failed). */
  readonly failed: number;
  /** Given up by the caller before an answer. */
  readonly cancelled: number;
  /** Talk time of the answered calls that are over, each rounded up to the second as billing does. */
  readonly talkSeconds: number;
  /** The answered calls that are over (ACD's divisor). */
  readonly talked: number;
}

export interface Traffic {
  /** Every bucket of the range, oldest first, empty ones included. */
  readonly buckets: readonly (TrafficFigures & { readonly start: string })[];
  readonly total: TrafficFigures;
}

const ZERO: TrafficFigures = { answered: 0, failed: 0, cancelled: 0, talkSeconds: 0, talked: 0 };

/** Answered over attempts (answered, failed or cancelled); null with no attempt. */
export function asr(figures: TrafficFigures): number | null {
  const attempts = figures.answered + figures.failed + figures.cancelled;
  return attempts === 0 ? null : figures.answered / attempts;
}

/** Mean talk seconds of the answered calls that are over; null with none. */
export function acd(figures: TrafficFigures): number | null {
  return figures.talked === 0 ? null : figures.talkSeconds / figures.talked;
}

/** The echo test is the caller's own check of their audio, not traffic: left out of every dashboard figure. */
export async function trafficOf(db: Kysely<Database>, range: DashboardRange): Promise<Traffic> {
  // A literal, not a parameter: the select and the grouping must be the same expression, and the one 0049 keeps
  // statistics of (without them the planner takes every start time for a bucket of its own, and sorts the range).
  const bucket = sql`date_trunc(${sql.lit(range.bucket)}, started_at at time zone 'UTC')`;
  const talked = sql`answered_at is not null and ended_at is not null`;
  const rows = await db
    .selectFrom('cdrs')
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to)
    .where('direction', '<>', 'echo')
    .select([
      sql<Date | null>`${bucket} at time zone 'UTC'`.as('start'),
      sql<number>`grouping(${bucket})`.as('overall'),
      sql<string>`count(*) filter (where answered_at is not null)`.as('answered'),
      sql<string>`count(*) filter (where answered_at is null and phase in ('refused', 'failed'))`.as('failed'),
      sql<string>`count(*) filter (where answered_at is null and phase = 'cancelled')`.as('cancelled'),
      sql<string>`coalesce(sum(ceil(extract(epoch from (ended_at - answered_at)))) filter (where ${talked}), 0)`.as('talk_seconds'),
      sql<string>`count(*) filter (where ${talked})`.as('talked'),
    ])
    .groupBy(sql`grouping sets ((${bucket}), ())`)
    .execute();
  const figures = (row: (typeof rows)[number]): TrafficFigures => ({
    answered: Number(row.answered),
    failed: Number(row.failed),
    cancelled: Number(row.cancelled),
    talkSeconds: Number(row.talk_seconds),
    talked: Number(row.talked),
  });
  const byStart = new Map(rows.filter((row) => Number(row.overall) === 0).map((row) => [row.start?.toISOString(), figures(row)]));
  const total = rows.find((row) => Number(row.overall) === 1);
  return {
    buckets: bucketsOf(range).map((bucket) => ({ start: bucket, ...(byStart.get(bucket) ?? ZERO) })),
    total: total === undefined ? ZERO : figures(total),
  };
}
