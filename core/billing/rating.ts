/**
 * Rating: which rate applies to a destination at a moment (longest prefix, then the latest effective
 * date), and what N seconds cost under it. Amounts are micro-units (core/money.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Rate } from '../../db/schema.ts';
import { add, ceilDiv, micros, type Micros } from '../money.ts';
import { numberPrefixes, type E164 } from '../numbers.ts';

/** What a call is priced with: a rate row, or the copy a reservation keeps. */
export interface Tariff {
  readonly pricePerMinute: Micros;
  /** Seconds billed for any answered call, e.g. 60 in "60/60", 30 in "30/6". */
  readonly firstIncrement: number;
  /** Seconds each further step bills, e.g. 6 in "30/6". */
  readonly nextIncrement: number;
  readonly connectionFee: Micros;
}

/**
 * Seconds billed for a call that lasted `seconds`: nothing for an unanswered (0 s) call, else the first
 * increment, then whole next increments, rounded up.
 * @example billedSeconds(61, 30, 6) // 66
 */
export function billedSeconds(seconds: number, firstIncrement: number, nextIncrement: number): number {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError(`call seconds must be a whole number >= 0, got ${seconds}`);
  if (seconds === 0) return 0;
  if (seconds <= firstIncrement) return firstIncrement;
  return firstIncrement + ceilDiv(seconds - firstIncrement, nextIncrement) * nextIncrement;
}

/**
 * The charge for a call of `seconds`: connection fee plus the price of the billed seconds, rounded up
 * to a whole micro-unit once. An unanswered (0 s) call costs nothing.
 * @example chargeFor({ pricePerMinute: micros(6000), firstIncrement: 1, nextIncrement: 1, connectionFee: micros(0) }, 10) // 1000
 */
export function chargeFor(tariff: Tariff, seconds: number): Micros {
  const billed = billedSeconds(seconds, tariff.firstIncrement, tariff.nextIncrement);
  if (billed === 0) return micros(0);
  return add(tariff.connectionFee, micros(ceilDiv(tariff.pricePerMinute * billed, 60)));
}

/**
 * The longest call (in billed seconds, on an increment boundary) whose charge fits in `available`,
 * capped at `capSeconds`; 0 when not even the first increment fits.
 * @example maxSecondsFor({ pricePerMinute: micros(60_000), firstIncrement: 60, nextIncrement: 60, connectionFee: micros(0) }, micros(150_000), 3600) // 120
 */
export function maxSecondsFor(tariff: Tariff, available: Micros, capSeconds: number): number {
  const afterFee = available - tariff.connectionFee;
  // ceil(price*s/60) <= afterFee  <=>  price*s <= afterFee*60, so the bound is a floor division.
  const affordable = tariff.pricePerMinute === 0 ? capSeconds : Math.floor((afterFee * 60) / tariff.pricePerMinute);
  const limit = Math.min(affordable, capSeconds);
  if (afterFee < 0 || limit < tariff.firstIncrement) return 0;
  return tariff.firstIncrement + Math.floor((limit - tariff.firstIncrement) / tariff.nextIncrement) * tariff.nextIncrement;
}

/** @example tariffOf(rate).pricePerMinute */
export function tariffOf(rate: Pick<Rate, 'price_per_minute' | 'first_increment' | 'next_increment' | 'connection_fee'>): Tariff {
  return {
    pricePerMinute: micros(rate.price_per_minute),
    firstIncrement: rate.first_increment,
    nextIncrement: rate.next_increment,
    connectionFee: micros(rate.connection_fee),
  };
}

/**
 * The rate for `destination` at `at`: among prefixes of the number, the longest one that has a rate
 * effective by then, and of that prefix the latest effective rate. Null: the destination is not callable.
 * @example const rate = await findRate(db, '+442079460958' as E164, new Date());
 */
export async function findRate(db: Kysely<Database>, destination: E164, at: Date): Promise<Rate | null> {
  return (await currentRate(db, numberPrefixes(destination), at).executeTakeFirst()) ?? null;
}

/** Of the rates for these prefixes in effect at `at`: the longest prefix's latest. */
function currentRate(db: Kysely<Database>, prefixes: readonly string[], at: Date) {
  return db
    .selectFrom('rates')
    .selectAll()
    .where('prefix', 'in', prefixes)
    .where('effective_from', '<=', at)
    .orderBy(sql`length(prefix)`, 'desc')
    .orderBy('effective_from', 'desc')
    .limit(1);
}

/**
 * {@link findRate}, and until when its answer holds: the earliest later `effective_from` among the number's
 * prefixes (null: until the rates change), so a cache of it knows when a scheduled rate takes over.
 * @example const { rate, until } = await findRateUntil(db, '+442079460958' as E164, new Date());
 */
export async function findRateUntil(db: Kysely<Database>, destination: E164, at: Date): Promise<{ rate: Rate | null; until: Date | null }> {
  const prefixes = numberPrefixes(destination);
  const nextChange = () =>
    db
      .selectFrom('rates as later')
      .select((eb) => eb.fn.min('later.effective_from').as('at'))
      .where('later.prefix', 'in', prefixes)
      .where('later.effective_from', '>', at);
  const row = await currentRate(db, prefixes, at).select(nextChange().as('next_change')).executeTakeFirst();
  if (row !== undefined) {
    const { next_change: until, ...rate } = row;
    return { rate, until: until ?? null };
  }
  // Not callable now: perhaps from a rate that starts later.
  const later = await nextChange().executeTakeFirst();
  return { rate: null, until: later?.at ?? null };
}
