/**
 * Money is an integer count of **micro-units**: 1/1,000,000 of the deployment's currency unit (for USD,
 * 1 micro = 0.0001 cent). Balances, ledger entries, holds and rates all use this one unit, so nothing is
 * converted between the ledger and rating.
 *
 * Why so fine: carriers price in fractions of a cent per minute and bill per second. A rate of
 * 0.6 cents/minute is exactly 100 micros/second, and any per-minute price that is a multiple of 60 micros
 * divides into whole micros per second. Where a price does not divide evenly, {@link chargeFor}-style code
 * rounds the total UP to the next micro, once per call, explicitly (at most 0.000001 of a unit per call).
 * The largest safe amount, 2^53 micros, is about 9 billion currency units: far beyond any prepaid balance.
 *
 * Card payments arrive in the currency's minor unit (cents, or yen for zero-decimal currencies):
 * {@link fromMinorUnits}/{@link toMinorUnits} convert at the edge.
 */

declare const microsBrand: unique symbol;
/** An integer amount in micro-units (1/1,000,000 of the currency unit); may be negative. */
export type Micros = number & { readonly [microsBrand]: true };

export const MICROS_PER_UNIT = 1_000_000;

export class MoneyError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

/**
 * Checks that a number is a safe integer and brands it.
 * @example micros(1_500_000) // 1.5 currency units
 */
export function micros(value: number): Micros {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`${value} is not a whole number of micro-units`);
  return value as Micros;
}

export const ZERO = micros(0);

/** Exact sum; throws rather than losing precision. @example add(micros(1), micros(2)) // 3 */
export function add(...amounts: readonly Micros[]): Micros {
  return micros(amounts.reduce((sum, amount) => sum + amount, 0));
}

/** @example negate(micros(5)) // -5 */
export function negate(amount: Micros): Micros {
  return micros(amount === 0 ? 0 : -amount);
}

/**
 * Divides and rounds up, in integers (for charges: the house never under-bills by a fraction).
 * @example ceilDiv(7, 2) // 4
 */
export function ceilDiv(dividend: number, divisor: number): number {
  if (!Number.isSafeInteger(dividend) || !Number.isSafeInteger(dividend + divisor) || divisor <= 0 || dividend < 0) {
    throw new MoneyError(`cannot divide ${dividend} by ${divisor} exactly`);
  }
  return Math.floor((dividend + divisor - 1) / divisor);
}

/** How many decimals the currency's minor unit has (ISO 4217 via Intl): USD 2, JPY 0, KWD 3. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

function microsPerMinor(currency: string): number {
  return MICROS_PER_UNIT / 10 ** minorUnitDigits(currency);
}

/**
 * A card amount (Stripe's `amount`, in the currency's minor unit) in micro-units.
 * @example fromMinorUnits(1050, 'usd') // 10_500_000 (10.50 USD)
 */
export function fromMinorUnits(minor: number, currency: string): Micros {
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`${minor} is not a whole number of minor units`);
  return micros(minor * microsPerMinor(currency));
}

/**
 * Micro-units as the currency's minor unit; refuses an amount that is not a whole number of them.
 * @example toMinorUnits(micros(10_500_000), 'usd') // 1050
 */
export function toMinorUnits(amount: Micros, currency: string): number {
  const per = microsPerMinor(currency);
  if (amount % per !== 0) throw new MoneyError(`${amount} micros is not a whole number of ${currency} minor units`);
  return amount / per;
}

/**
 * A decimal string ("0.0123", "-5", "12.5") as micro-units, exactly; at most six decimals.
 * @example parseDecimal('0.0123') // 12_300
 */
export function parseDecimal(text: string): Micros {
  const match = /^(-)?(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (match === null) throw new MoneyError(`"${text}" is not a decimal amount with at most 6 decimals`);
  const [, sign, whole = '0', fraction = ''] = match;
  const value = Number(whole) * MICROS_PER_UNIT + Number(fraction.padEnd(6, '0'));
  return micros(sign === '-' ? -value : value);
}

/**
 * Micro-units as a plain decimal string with no trailing zeros beyond two decimals.
 * @example formatDecimal(micros(12_300)) // "0.0123"
 */
export function formatDecimal(amount: Micros): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const whole = Math.floor(abs / MICROS_PER_UNIT);
  const fraction = String(abs % MICROS_PER_UNIT)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${sign}${whole}.${fraction}`;
}
