/**
 * Call records for operators, oldest first, with every value formatted by the database: on Postgres written by
 * COPY, elsewhere read in keyset batches.
 */
import type { Readable } from 'node:stream';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CopyOut } from '../../db/connect.ts';
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

/** One record as an export line: times in ISO 8601 (UTC, milliseconds), cost in currency units as a decimal string. */
export type ExportedCdr = { readonly [K in (typeof CDR_EXPORT_COLUMNS)[number]]: string | number | null };

export interface CdrFilter {
  /** Calls started at or after. */
  readonly from?: Date;
  /** Calls started before. */
  readonly to?: Date;
  readonly accountId?: string;
}

const TIMES = new Set<string>(['started_at', 'answered_at', 'ended_at']);

/**
 * Each column as the export writes it, formatted by the database so that both paths below, and COPY, write the
 * same text: a time as `toISOString()` does, the cost (micro-units) as core/money.ts's formatDecimal does.
 */
function exportColumns() {
  return CDR_EXPORT_COLUMNS.map((column) => {
    if (TIMES.has(column)) return sql<string | null>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`.as(column);
    if (column === 'cost') {
      const units = sql`(cost::numeric / 1000000)`;
      return sql<string | null>`case when scale(trim_scale(${units})) < 2 then round(${units}, 2)::text else trim_scale(${units})::text end`.as('cost');
    }
    return sql.ref<string | number | null>(column).as(column);
  });
}

/** Ordered by `cdrs.`-qualified columns: a bare `started_at` in ORDER BY would be the formatted text of the same name. */
function filtered(db: Kysely<Database>, filter: CdrFilter, value: (v: string) => RawBuilder<unknown>) {
  let query = db.selectFrom('cdrs').select(exportColumns());
  if (filter.from !== undefined) query = query.where('started_at', '>=', sql<Date>`${value(filter.from.toISOString())}::timestamptz`);
  if (filter.to !== undefined) query = query.where('started_at', '<', sql<Date>`${value(filter.to.toISOString())}::timestamptz`);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', sql<string>`${value(filter.accountId)}::uuid`);
  return query;
}

/**
 * In keyset batches, so an export of any size streams in constant memory on both dialects (no server-side
 * cursor needed).
 * @example
 * for await (const cdr of exportCdrs(db, { from: new Date('2026-11-01'), to: new Date('2026-12-01') })) write(cdr);
 */
export async function* exportCdrs(db: Kysely<Database>, filter: CdrFilter, batchSize = 1000): AsyncGenerator<ExportedCdr> {
  // The start time as the database holds it (microseconds): a JS Date would cut it to milliseconds and repeat rows.
  let after: { startedAt: string; id: string } | undefined;
  for (;;) {
    let query = filtered(db, filter, (v) => sql`${v}`).select(sql<string>`started_at::text`.as('started_key'));
    const last = after;
    if (last !== undefined) {
      const at = sql<Date>`${last.startedAt}::timestamptz`;
      // A row comparison, so the (started_at, id) index serves each batch as one range scan.
      query = query.where((eb) => eb(eb.refTuple('started_at', 'id'), '>', eb.tuple(at, last.id)));
    }
    const batch = await query.orderBy('cdrs.started_at').orderBy('cdrs.id').limit(batchSize).execute();
    for (const { started_key: _key, ...cdr } of batch) yield cdr;
    const tail = batch.at(-1);
    if (tail === undefined || batch.length < batchSize) return;
    after = { startedAt: tail.started_key, id: String(tail.id) };
  }
}

export type CdrExportFormat = 'csv' | 'ndjson';

/**
 * The same export as {@link exportCdrs}, written by Postgres itself with `COPY ... TO STDOUT`: CSV with a header
 * line, or one JSON object per line. Same rows, order and text; at the server's speed.
 * @example
 * const body = await copyCdrs(copyOut, db, { accountId }, 'csv'); // a Readable of CSV bytes
 */
export async function copyCdrs(copyOut: CopyOut, db: Kysely<Database>, filter: CdrFilter, format: CdrExportFormat): Promise<Readable> {
  return copyOut(copyStatement(db, filter, format));
}

/** The `COPY ... TO STDOUT` statement {@link copyCdrs} runs (bench/cdr-export.ts hands the same one to psql). */
export function copyStatement(db: Kysely<Database>, filter: CdrFilter, format: CdrExportFormat): string {
  // COPY takes no parameters: the filter goes in as literals (quoted by Kysely, cast by the database).
  const select = filtered(db, filter, (v) => sql.lit(v))
    .orderBy('cdrs.started_at')
    .orderBy('cdrs.id')
    .compile();
  if (select.parameters.length > 0) throw new Error('copyCdrs: the export query must carry no parameters');
  // JSON text never holds a raw control character, so CSV mode with control characters as quote and delimiter
  // writes each line untouched (text mode would double every backslash).
  return format === 'csv'
    ? `copy (${select.sql}) to stdout with (format csv, header)`
    : `copy (select row_to_json(line)::text from (${select.sql}) line) to stdout with (format csv, quote e'\\x01', delimiter e'\\x02')`;
}
