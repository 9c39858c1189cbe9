/**
 * Call records for operators, oldest first, read in keyset batches so an export of any size streams in constant
 * memory on both dialects (no server-side cursor needed).
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CdrsTable, Database } from '../../db/schema.ts';

export const CDR_EXPORT_COLUMNS = [
  'id',
  'sip_call_id',
  'direction',
  'account_id',
  'from_number',
  'to_number',
  'trunk_id',
  'phase',
  'refusal_reason',
  'sip_status',
  'hangup_cause',
  'ended_by',
  'started_at',
  'answered_at',
  'ended_at',
  'billable_seconds',
  'cost',
  'node_id',
  'media_server',
  'mos',
] as const satisfies readonly (keyof CdrsTable)[];

export type ExportedCdr = Pick<Selectable<CdrsTable>, (typeof CDR_EXPORT_COLUMNS)[number]>;

export interface CdrFilter {
  /** Calls started at or after. */
  readonly from?: Date;
  /** Calls started before. */
  readonly to?: Date;
  readonly accountId?: string;
}

/**
 * @example
 * for await (const cdr of exportCdrs(db, { from: new Date('2026-11-01'), to: new Date('2026-12-01') })) write(cdr);
 */
export async function* exportCdrs(db: Kysely<Database>, filter: CdrFilter, batchSize = 1000): AsyncGenerator<ExportedCdr> {
  // The start time as the database holds it (microseconds): a JS Date would cut it to milliseconds and repeat rows.
  let after: { startedAt: string; id: string } | undefined;
  for (;;) {
    let query = db
      .selectFrom('cdrs')
      .select(CDR_EXPORT_COLUMNS)
      .select(sql<string>`started_at::text`.as('started_key'));
    if (filter.from !== undefined) query = query.where('started_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('started_at', '<', filter.to);
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
    const last = after;
    if (last !== undefined) {
      const at = sql<Date>`${last.startedAt}::timestamptz`;
      // A row comparison, so the (started_at, id) index serves each batch as one range scan.
      query = query.where((eb) => eb(eb.refTuple('started_at', 'id'), '>', eb.tuple(at, last.id)));
    }
    const batch = await query.orderBy('started_at').orderBy('id').limit(batchSize).execute();
    for (const { started_key: _key, ...cdr } of batch) yield cdr;
    const tail = batch.at(-1);
    if (tail === undefined || batch.length < batchSize) return;
    after = { startedAt: tail.started_key, id: tail.id };
  }
}
