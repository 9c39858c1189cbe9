/**
 * Call records for operators, oldest first, with every value formatted by the database: on Postgres written by
 * COPY, elsewhere read in keyset batches. The numbers are stored sealed (core/calls/cdr.ts): both paths open them in
 * Node, the database never holding the keys.
 */
import { Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CopyOut } from '../../db/connect.ts';
import type { CallDirection, CdrsTable, Database } from '../../db/schema.ts';
import { isSealed, SEALED_PATTERN, type Vault } from '../privacy/vault.ts';
import { outcomeIs, type OutcomeFilter } from './history-filter.ts';

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
  'browser_mos',
  'browser_rtt_ms',
  'browser_jitter_ms',
  'browser_loss_permille',
] as const satisfies readonly (keyof CdrsTable)[];

/** One record as an export line: times in ISO 8601 (UTC, milliseconds), cost in currency units as a decimal string. */
export type ExportedCdr = { readonly [K in (typeof CDR_EXPORT_COLUMNS)[number]]: string | number | null };

export interface CdrFilter {
  /** Calls started at or after. */
  readonly from?: Date;
  /** Calls started before. */
  readonly to?: Date;
  readonly accountId?: string;
  /** As recorded: `echo` apart from `outbound`, unlike a user's own history filter. */
  readonly direction?: CallDirection;
  /** How the call turned out, as a user's own history filter reads it (core/calls/history-filter.ts). */
  readonly outcome?: OutcomeFilter;
  readonly trunkId?: number;
}

export const CDR_DIRECTIONS: readonly CallDirection[] = ['outbound', 'inbound', 'onnet', 'echo'];

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
  // The rest narrow the (started_at, id) range scan row by row: the export stays one statement, COPY's included.
  if (filter.direction !== undefined) query = query.where('direction', '=', sql<CallDirection>`${value(filter.direction)}`);
  if (filter.trunkId !== undefined) query = query.where('trunk_id', '=', sql<number>`${value(String(filter.trunkId))}::bigint`);
  const outcome = filter.outcome;
  if (outcome !== undefined) query = query.where((eb) => outcomeIs(eb, outcome));
  return query;
}

type Opener = (values: readonly (string | null)[]) => Promise<(string | null)[]>;
/** Opened numbers one export keeps per generation (two generations): about 10 MB at most. */
const OPENED_KEPT = 100_000;
/** The end of a sealed value: its GCM tag, unique to the account's key and the number (see {@link memoKey}). */
const TAG_CHARS = 22;

/**
 * What the memo files a value under. A sealed value by its tag, copied: a slice of it would keep the whole chunk of
 * export text it was cut from alive (V8 slices share their parent), megabytes for a memo of thousands.
 */
function memoKey(value: string): string {
  return isSealed(value) ? `t${Buffer.from(value.slice(-TAG_CHARS), 'base64url').toString('latin1')}` : `p${value}`;
}

/**
 * Opens sealed numbers for one export. Sealing is deterministic, so a number repeats as the same value: each is
 * decrypted once while it stays among the recent ones, not once a row (a decryption costs more than COPY spends on
 * a whole row). Hot numbers (an account's own, frequent destinations) survive a turnover of generations.
 */
function numberOpener(db: Kysely<Database>, vault: Vault): Opener {
  let recent = new Map<string, string | null>();
  let older = new Map<string, string | null>();
  const remember = (key: string, text: string | null) => {
    if (recent.size >= OPENED_KEPT) {
      older = recent;
      recent = new Map();
    }
    recent.set(key, text);
  };
  const remembered = (key: string): string | null | undefined => {
    if (recent.has(key)) return recent.get(key);
    if (!older.has(key)) return undefined;
    const text = older.get(key) ?? null;
    remember(key, text);
    return text;
  };
  return async (values) => {
    const keys = values.map((value) => (value === null ? null : memoKey(value)));
    const result = keys.map((key) => (key === null ? null : remembered(key)));
    const unknown = [...new Set(values.filter((value, i): value is string => value !== null && result[i] === undefined))];
    if (unknown.length === 0) return result as (string | null)[];
    const plain = await vault.openAll(db, unknown);
    const fresh = new Map(unknown.map((value, i) => [value, plain[i] ?? null]));
    for (const [value, text] of fresh) remember(memoKey(value), text);
    return values.map((value, i) => (value === null ? null : result[i] !== undefined ? result[i]! : (fresh.get(value) ?? null)));
  };
}

/**
 * In keyset batches, so an export of any size streams in constant memory on both dialects (no server-side
 * cursor needed); each batch's numbers opened with one read of the keys.
 * @example
 * for await (const cdr of exportCdrs(db, vault, { from: new Date('2026-11-01'), to: new Date('2026-12-01') })) write(cdr);
 */
export async function* exportCdrs(db: Kysely<Database>, vault: Vault, filter: CdrFilter, batchSize = 1000): AsyncGenerator<ExportedCdr> {
  // The start time as the database holds it (microseconds): a JS Date would cut it to milliseconds and repeat rows.
  let after: { startedAt: string; id: string } | undefined;
  const open = numberOpener(db, vault);
  for (;;) {
    let query = filtered(db, filter, (v) => sql`${v}`).select(sql<string>`started_at::text`.as('started_key'));
    const last = after;
    if (last !== undefined) {
      const at = sql<Date>`${last.startedAt}::timestamptz`;
      // A row comparison, so the (started_at, id) index serves each batch as one range scan.
      query = query.where((eb) => eb(eb.refTuple('started_at', 'id'), '>', eb.tuple(at, last.id)));
    }
    const batch = await query.orderBy('cdrs.started_at').orderBy('cdrs.id').limit(batchSize).execute();
    const cdrs = batch.map(({ started_key: _key, ...cdr }) => cdr);
    const numbers = await open(cdrs.flatMap((cdr) => [cdr.from_number, cdr.to_number] as (string | null)[]));
    for (const [i, cdr] of cdrs.entries()) yield { ...cdr, from_number: numbers[2 * i] ?? null, to_number: numbers[2 * i + 1] ?? null };
    const tail = batch.at(-1);
    if (tail === undefined || batch.length < batchSize) return;
    after = { startedAt: tail.started_key, id: String(tail.id) };
  }
}

export type CdrExportFormat = 'csv' | 'ndjson';

/**
 * The same export as {@link exportCdrs}, written by Postgres itself with `COPY ... TO STDOUT`: CSV with a header
 * line, or one JSON object per line. Same rows, order and text; at the server's speed, the numbers opened on the way.
 * @example
 * const body = await copyCdrs(copyOut, db, vault, { accountId }, 'csv'); // a Readable of CSV bytes
 */
export async function copyCdrs(copyOut: CopyOut, db: Kysely<Database>, vault: Vault, filter: CdrFilter, format: CdrExportFormat): Promise<Readable> {
  const copied = await copyOut(copyStatement(db, filter, format));
  const opening = openingNumbers(db, vault, format);
  // An error on either side ends the other: the connection goes back to the pool, the reader sees the error.
  copied.once('error', (error) => opening.destroy(error));
  opening.once('close', () => copied.destroy());
  return copied.pipe(opening);
}

/** Complete lines are opened once this much text has gathered: one key read per chunk, not per row. */
const OPEN_CHUNK_CHARS = 64 * 1024;
const TOKEN = SEALED_PATTERN.source;
// A key of row_to_json's output: inside a JSON string a quote is escaped, so a Call-ID cannot fake one.
const JSON_NUMBER = new RegExp(`"(from_number|to_number)":"(${TOKEN})"`, 'g');
// One CSV field and what ends it; a quoted field matches only once its closing quote and a delimiter have arrived.
const CSV_FIELD = /(?:"(?:[^"]|"")*"|[^,"\n]*)([,\n])/y;
const NUMBER_FIELDS = [CDR_EXPORT_COLUMNS.indexOf('from_number'), CDR_EXPORT_COLUMNS.indexOf('to_number')];
const LAST_NUMBER_FIELD = Math.max(...NUMBER_FIELDS);

/** Where the complete CSV records of `text` end, and the spans of their number fields. */
function csvRecords(text: string): { end: number; spans: [number, number][] } {
  const spans: [number, number][] = [];
  let end = 0;
  let pos = 0;
  for (;;) {
    const record: [number, number][] = [];
    let field = 0;
    let delimiter = ',';
    while (field <= LAST_NUMBER_FIELD && delimiter === ',') {
      CSV_FIELD.lastIndex = pos;
      const match = CSV_FIELD.exec(text);
      if (match === null) return { end, spans };
      if (NUMBER_FIELDS.includes(field)) record.push([pos, CSV_FIELD.lastIndex - 1]);
      delimiter = match[1]!;
      pos = CSV_FIELD.lastIndex;
      field++;
    }
    // The rest of the record ends at the first newline with its quotes balanced (a quoted field may hold newlines).
    let quotes = 0;
    while (delimiter !== '\n') {
      const newline = text.indexOf('\n', pos);
      if (newline < 0) return { end, spans };
      for (let quote = text.indexOf('"', pos); quote >= 0 && quote < newline; quote = text.indexOf('"', quote + 1)) quotes++;
      pos = newline + 1;
      if (quotes % 2 === 0) delimiter = '\n';
    }
    spans.push(...record);
    end = pos;
  }
}

/** A value as COPY writes it in CSV: quoted when it holds a delimiter, a quote or a newline, or is empty (not NULL). */
function csvValue(value: string | null): string {
  if (value === null) return '';
  return value === '' || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Opens the sealed numbers of complete CSV records: only the number fields, so nothing else is taken for a sealed value. */
async function openCsv(open: Opener, text: string, spans: readonly [number, number][]): Promise<string> {
  const sealed = spans.filter(([start, end]) => isSealed(text.slice(start, end)));
  if (sealed.length === 0) return text;
  const plain = await open(sealed.map(([start, end]) => text.slice(start, end)));
  let out = '';
  let at = 0;
  for (const [i, [start, end]] of sealed.entries()) {
    out += text.slice(at, start) + csvValue(plain[i] ?? null);
    at = end;
  }
  return out + text.slice(at);
}

async function openNdjson(open: Opener, text: string): Promise<string> {
  const found = [...text.matchAll(JSON_NUMBER)].map((match) => match[2]!);
  if (found.length === 0) return text;
  const plain = await open(found);
  let i = 0;
  return text.replace(JSON_NUMBER, (_match, column: string) => `"${column}":${JSON.stringify(plain[i++] ?? null)}`);
}

/**
 * COPY's bytes with the sealed numbers opened, as {@link exportCdrs} writes them: gathered to whole records (a value
 * never spans two chunks), then each number field replaced by its plain text, or null once its key is destroyed.
 */
function openingNumbers(db: Kysely<Database>, vault: Vault, format: CdrExportFormat): Transform {
  const decoder = new StringDecoder('utf8');
  let carried = '';
  const opener = numberOpener(db, vault);
  const open = async (text: string, final: boolean): Promise<string> => {
    if (format === 'ndjson') {
      const end = final ? text.length : text.lastIndexOf('\n') + 1;
      carried = text.slice(end);
      return openNdjson(opener, text.slice(0, end));
    }
    const { end, spans } = csvRecords(text);
    // COPY ends its output with a newline, so nothing is left over at the end but a malformed tail, passed on as is.
    carried = final ? '' : text.slice(end);
    return (await openCsv(opener, text.slice(0, end), spans)) + (final ? text.slice(end) : '');
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      carried += decoder.write(chunk);
      if (carried.length < OPEN_CHUNK_CHARS) return done();
      open(carried, false).then(
        (text) => done(null, text),
        (error: unknown) => done(error as Error),
      );
    },
    flush(done) {
      open(carried + decoder.end(), true).then(
        (text) => done(null, text),
        (error: unknown) => done(error as Error),
      );
    },
  });
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

/** How many records an export with this filter writes (for a progress bar's total). */
export async function countCdrs(db: Kysely<Database>, filter: CdrFilter): Promise<number> {
  const row = await filtered(db, filter, (v) => sql`${v}`)
    .clearSelect()
    .select((eb) => eb.fn.countAll<number | string>().as('rows'))
    .executeTakeFirstOrThrow();
  return Number(row.rows);
}
