/**
 * The rate table: validated inputs, create/update/delete/list, and the all-or-nothing CSV import.
 * Prices are written as decimal strings of the currency unit ("0.0123") and stored as micro-units.
 */
import { CsvError, parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import type { Database, Rate } from '../../db/schema.ts';
import { MoneyError, parseDecimal, type Micros } from '../money.ts';

export interface RateInput {
  readonly prefix: string;
  readonly description: string;
  readonly pricePerMinute: Micros;
  readonly firstIncrement: number;
  readonly nextIncrement: number;
  readonly connectionFee: Micros;
  readonly effectiveFrom: Date;
}

/** What an operator or a CSV line supplies, before checking. */
export interface RateFields {
  readonly prefix: string;
  readonly description?: string | undefined;
  readonly pricePerMinute: string;
  readonly firstIncrement: string | number;
  readonly nextIncrement: string | number;
  readonly connectionFee?: string | undefined;
  readonly effectiveFrom: string;
}

export class RateInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'RateInputError';
  }
}

function increment(value: string | number, name: string, problems: string[]): number {
  const text = String(value).trim();
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < 1 || seconds > 3600) problems.push(`${name} must be whole seconds from 1 to 3600, got "${text}"`);
  return seconds;
}

function price(text: string, name: string, problems: string[]): Micros {
  try {
    const amount = parseDecimal(text);
    if (amount < 0) problems.push(`${name} must not be negative`);
    return amount;
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    problems.push(`${name}: ${error.message}`);
    return 0 as Micros;
  }
}

/**
 * Checks operator-supplied fields; throws {@link RateInputError} listing every problem.
 * @example toRateInput({ prefix: '44', pricePerMinute: '0.012', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2026-01-01T00:00:00Z' })
 */
export function toRateInput(fields: RateFields): RateInput {
  const problems: string[] = [];
  const prefix = fields.prefix.trim().replace(/^\+/, '');
  if (!/^[1-9]\d{0,14}$/.test(prefix)) problems.push(`prefix must be 1-15 E.164 digits, got "${fields.prefix}"`);
  const effectiveFrom = new Date(fields.effectiveFrom.trim());
  // A timestamp with an explicit zone only: "2026-03-01" alone would depend on the server's zone.
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(fields.effectiveFrom.trim()) || Number.isNaN(effectiveFrom.getTime())) {
    problems.push(`effective_from must be an ISO 8601 timestamp with a zone, got "${fields.effectiveFrom}"`);
  }
  const input: RateInput = {
    prefix,
    description: (fields.description ?? '').trim(),
    pricePerMinute: price(fields.pricePerMinute, 'price_per_minute', problems),
    firstIncrement: increment(fields.firstIncrement, 'first_increment', problems),
    nextIncrement: increment(fields.nextIncrement, 'next_increment', problems),
    connectionFee: price(fields.connectionFee?.trim() || '0', 'connection_fee', problems),
    effectiveFrom,
  };
  if (problems.length > 0) throw new RateInputError(problems);
  return input;
}

function row(input: RateInput) {
  return {
    prefix: input.prefix,
    description: input.description,
    price_per_minute: input.pricePerMinute,
    first_increment: input.firstIncrement,
    next_increment: input.nextIncrement,
    connection_fee: input.connectionFee,
    effective_from: input.effectiveFrom,
  };
}

export class RateConflictError extends Error {
  constructor(
    readonly prefix: string,
    readonly effectiveFrom: Date,
  ) {
    super(`a rate for prefix ${prefix} effective ${effectiveFrom.toISOString()} already exists`);
    this.name = 'RateConflictError';
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

/** @example const rate = await createRate(db, toRateInput(fields)); */
export async function createRate(db: Kysely<Database>, input: RateInput): Promise<Rate> {
  try {
    return await db.insertInto('rates').values(row(input)).returningAll().executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new RateConflictError(input.prefix, input.effectiveFrom);
    throw error;
  }
}

/** Replaces every field of a rate; null when there is no such rate. Calls in progress keep their copy. */
export async function updateRate(db: Kysely<Database>, id: number, input: RateInput): Promise<Rate | null> {
  try {
    return (await db.updateTable('rates').set(row(input)).where('id', '=', id).returningAll().executeTakeFirst()) ?? null;
  } catch (error) {
    if (isUniqueViolation(error)) throw new RateConflictError(input.prefix, input.effectiveFrom);
    throw error;
  }
}

/** @returns whether a rate was deleted. */
export async function deleteRate(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('rates').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Rates ordered by prefix then date, a page at a time, optionally only those under a prefix. */
export async function listRates(db: Kysely<Database>, options: { prefix?: string; limit: number; offset: number }): Promise<Rate[]> {
  let query = db.selectFrom('rates').selectAll();
  if (options.prefix !== undefined) query = query.where('prefix', 'like', `${options.prefix.replace(/\D/g, '')}%`);
  return query.orderBy('prefix').orderBy('effective_from').limit(options.limit).offset(options.offset).execute();
}

export const RATES_CSV_COLUMNS = [
  'prefix',
  'description',
  'price_per_minute',
  'first_increment',
  'next_increment',
  'connection_fee',
  'effective_from',
] as const;

export interface CsvLineError {
  /** 1-based line in the file (the header is line 1). */
  readonly line: number;
  readonly message: string;
}

export type RatesImportResult = { ok: true; imported: number } | { ok: false; errors: CsvLineError[] };

/**
 * Parses a rates CSV (header {@link RATES_CSV_COLUMNS}; prices as decimals of the currency unit) and
 * checks every line; nothing is returned unless every line is good.
 * @example parseRatesCsv('prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from\n44,UK,0.01,60,60,0,2026-01-01T00:00:00Z\n')
 */
export function parseRatesCsv(text: string): { rates: RateInput[]; errors: CsvLineError[] } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as unknown as typeof records;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { rates: [], errors: [{ line: (error as CsvError & { lines?: number }).lines ?? 0, message: error.message }] };
  }
  const [header, ...lines] = records;
  if (header === undefined) return { rates: [], errors: [{ line: 1, message: 'the file is empty' }] };
  if (header.record.join(',') !== RATES_CSV_COLUMNS.join(',')) {
    return { rates: [], errors: [{ line: header.info.lines, message: `the header must be ${RATES_CSV_COLUMNS.join(',')}` }] };
  }
  const rates: RateInput[] = [];
  const errors: CsvLineError[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of lines) {
    if (record.length !== RATES_CSV_COLUMNS.length) {
      errors.push({ line: info.lines, message: `expected ${RATES_CSV_COLUMNS.length} columns, got ${record.length}` });
      continue;
    }
    const [prefix = '', description, pricePerMinute = '', firstIncrement = '', nextIncrement = '', connectionFee, effectiveFrom = ''] = record;
    try {
      const input = toRateInput({ prefix, description, pricePerMinute, firstIncrement, nextIncrement, connectionFee, effectiveFrom });
      const key = `${input.prefix}@${input.effectiveFrom.toISOString()}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        errors.push({ line: info.lines, message: `prefix ${input.prefix} at ${input.effectiveFrom.toISOString()} is already on line ${earlier}` });
        continue;
      }
      seen.set(key, info.lines);
      rates.push(input);
    } catch (error) {
      if (!(error instanceof RateInputError)) throw error;
      errors.push({ line: info.lines, message: error.message });
    }
  }
  return errors.length > 0 ? { rates: [], errors } : { rates, errors };
}

/**
 * Imports a rates CSV all or nothing: any bad line and nothing is written, with every bad line reported.
 * A line for a prefix and effective date that already exist replaces that rate.
 * @example const result = await importRatesCsv(db, csvText); if (!result.ok) console.error(result.errors);
 */
export async function importRatesCsv(
  db: Kysely<Database>,
  text: string,
  /** Told after each chunk written: rates so far, and of how many (a progress bar). */
  onProgress?: (written: number, total: number) => void,
): Promise<RatesImportResult> {
  const { rates, errors } = parseRatesCsv(text);
  if (errors.length > 0) return { ok: false, errors };
  await db.transaction().execute(async (trx) => {
    // Chunks keep each statement well under Postgres's parameter limit.
    for (let start = 0; start < rates.length; start += 1000) {
      await trx
        .insertInto('rates')
        .values(rates.slice(start, start + 1000).map(row))
        .onConflict((conflict) =>
          conflict.columns(['prefix', 'effective_from']).doUpdateSet((eb) => ({
            description: eb.ref('excluded.description'),
            price_per_minute: eb.ref('excluded.price_per_minute'),
            first_increment: eb.ref('excluded.first_increment'),
            next_increment: eb.ref('excluded.next_increment'),
            connection_fee: eb.ref('excluded.connection_fee'),
          })),
        )
        .execute();
      onProgress?.(Math.min(start + 1000, rates.length), rates.length);
    }
  });
  return { ok: true, imported: rates.length };
}
