/**
 * Telephone numbers: everything past this module deals in E.164 strings ("+14155550123"). Parsing, with a
 * default country for national dialling, is libphonenumber-js's job; this wraps it in one typed result.
 */
// The 'max' metadata: validity is checked against each country's real number ranges, not only lengths.
import {
  isSupportedCountry,
  parsePhoneNumber,
  parsePhoneNumberFromString,
  parsePhoneNumberWithError,
  ParseError,
  validatePhoneNumberLength,
  type CountryCode,
  type NumberType,
} from 'libphonenumber-js/max';

/** An E.164 number: "+" then 2–15 digits, normalised. */
export type E164 = string & { readonly __e164: true };

export type NumberErrorReason = 'empty' | 'not-a-number' | 'too-short' | 'too-long' | 'invalid-country' | 'invalid';

export class NumberError extends Error {
  constructor(
    readonly reason: NumberErrorReason,
    readonly input: string,
  ) {
    super(`not a callable phone number (${reason})`);
    this.name = 'NumberError';
  }
}

export type ParsedNumber = { ok: true; e164: E164; country: CountryCode | undefined } | { ok: false; error: NumberError };

const PARSE_REASONS: Record<string, NumberErrorReason> = {
  NOT_A_NUMBER: 'not-a-number',
  INVALID_COUNTRY: 'invalid-country',
  TOO_SHORT: 'too-short',
  TOO_LONG: 'too-long',
  INVALID_LENGTH: 'invalid',
};

/**
 * Turns what a caller dialled into E.164. Accepts "+44 20 7946 0958", "00442079460958" (international
 * prefix of the default country), "020 7946 0958" with default country GB, and "sip:" style digits with
 * separators. A number that parses but is not valid for its country is refused ('invalid').
 * @example
 * const result = toE164('(415) 555-2671', 'US');
 * if (result.ok) result.e164 // "+14155552671"
 */
export function toE164(dialled: string, defaultCountry?: string): ParsedNumber {
  const input = dialled.trim();
  if (input === '') return { ok: false, error: new NumberError('empty', dialled) };
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
    return { ok: false, error: new NumberError('invalid-country', dialled) };
  }
  try {
    const number = parsePhoneNumberWithError(input, defaultCountry as CountryCode | undefined);
    if (!number.isValid()) {
      // Say "too short/long" when that is why: it is what a caller can fix.
      const length = validatePhoneNumberLength(input, defaultCountry as CountryCode | undefined);
      return { ok: false, error: new NumberError(PARSE_REASONS[length ?? ''] ?? 'invalid', dialled) };
    }
    return { ok: true, e164: number.number as E164, country: number.country };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { ok: false, error: new NumberError(PARSE_REASONS[error.message] ?? 'invalid', dialled) };
  }
}

/**
 * Where a number rings and what kind of line it is (from the number plan: `PREMIUM_RATE`, `TOLL_FREE`, ...);
 * either is undefined when the plan does not say (non-geographic ranges such as +800 have no country).
 * @example numberFacts('+19002345678' as E164) // { country: 'US', type: 'PREMIUM_RATE' }
 */
export function numberFacts(number: E164): { country: CountryCode | undefined; type: NumberType } {
  const parsed = parsePhoneNumber(number);
  return { country: parsed.country, type: parsed.getType() };
}

/**
 * The country a number rings in, for any string a record may hold (an echo test's `*43` too): undefined when it is
 * not an international number or the number plan names no one country for it (+800).
 * @example countryOf('+442079460958') // 'GB'
 */
export function countryOf(number: string): CountryCode | undefined {
  return isE164(number) ? parsePhoneNumberFromString(number)?.country : undefined;
}

/** The digits of an E.164 number without "+", as rate prefixes are written. @example e164Digits('+4420' as E164) // "4420" */
export function e164Digits(number: E164): string {
  return number.slice(1);
}

/** Every leading part of the number's digits, shortest first: what prefix tables are matched against. @example numberPrefixes('+442' as E164) // ['4', '44', '442'] */
export function numberPrefixes(number: E164): string[] {
  const digits = e164Digits(number);
  return Array.from({ length: digits.length }, (_, index) => digits.slice(0, index + 1));
}

/** True when the string is already E.164 shaped ("+" and 2–15 digits, no leading zero). */
export function isE164(value: string): value is E164 {
  return /^\+[1-9]\d{1,14}$/.test(value);
}

/** The number a carrier says is calling (its From user), in E.164 if it is one; null (anonymous) if not. */
export function callingNumber(user: string | undefined, defaultCountry: string | undefined): E164 | null {
  if (user === undefined || user === '') return null;
  const national = toE164(user, defaultCountry);
  if (national.ok) return national.e164;
  const international = toE164(`+${user}`);
  return international.ok ? international.e164 : null;
}
