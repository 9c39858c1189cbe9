/**
 * Amounts an operator types in a currency's major units ("2.50" USD), read exactly as integer minor units (250 cents)
 * by their digits, never through a float (0.29 * 100 is 28.999…), and written back as the API's decimal text.
 */

/** How many decimals the currency's minor unit has: 2 for USD, 0 for JPY, 3 for KWD. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** At most this many whole units: the API keeps amounts as micro-units in a safe integer. */
const MAX_WHOLE_DIGITS = 9;

export type MajorUnits = { readonly ok: true; readonly minor: number } | { readonly ok: false; readonly problem: string };

/**
 * `text` as integer minor units of `currency`, or why it is not an amount of it.
 * @example
 * parseMajorUnits('2.5', 'usd', { negative: true }) // { ok: true, minor: 250 }
 * parseMajorUnits('-0.29', 'usd', { negative: true }) // { ok: true, minor: -29 }
 * parseMajorUnits('1.005', 'usd') // { ok: false, problem: 'USD amounts have at most 2 decimals' }
 */
export function parseMajorUnits(text: string, currency: string, options: { negative?: boolean } = {}): MajorUnits {
  const digits = currencyDigits(currency);
  const code = currency.toUpperCase();
  const match = /^([-+]?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null) return { ok: false, problem: `write the amount in ${code} as digits, e.g. ${digits === 0 ? '5' : `5.${'0'.repeat(digits)}`}` };
  const [, sign, whole = '', fraction = ''] = match;
  if (sign === '-' && !options.negative) return { ok: false, problem: 'the amount cannot be negative' };
  if (fraction.length > digits)
    return { ok: false, problem: digits === 0 ? `${code} amounts have no decimals` : `${code} amounts have at most ${digits} decimals` };
  if (whole.replace(/^0+/, '').length > MAX_WHOLE_DIGITS) return { ok: false, problem: `at most ${MAX_WHOLE_DIGITS} digits before the decimal point` };
  const minor = Number(whole + fraction.padEnd(digits, '0'));
  return { ok: true, minor: sign === '-' && minor !== 0 ? -minor : minor };
}

/**
 * Integer minor units as decimal text in the currency's own decimals (the API's amount format).
 * @example decimalOfMinor(-250, 'usd') // '-2.50'
 */
export function decimalOfMinor(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const units = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = units.slice(0, units.length - digits);
  const text = digits === 0 ? whole : `${whole}.${units.slice(units.length - digits)}`;
  return minor < 0 ? `-${text}` : text;
}
