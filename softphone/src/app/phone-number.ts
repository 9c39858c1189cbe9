/**
 * What the dialer makes of a typed number (libphonenumber-js, its `min` metadata to keep the bundle small): with the
 * chosen country, a national number is formatted as it is typed and dialled in E.164; a number typed with `+` is
 * international whatever the country. Service codes (`*43`, `#…`) and numbers too short to be possible are dialled as
 * typed, without spaces or punctuation.
 */
import { AsYouType, getCountries, getCountryCallingCode, type CountryCode } from 'libphonenumber-js/min';

export type { CountryCode };

export interface TypedNumber {
  /** The input as it should read while typing: "(415) 555-0100", "+44 20 7946 0958", "*43". */
  readonly formatted: string;
  /** What the Call button dials: the E.164 number when there is one, else the input without spaces or punctuation. */
  readonly dial: string;
  /** The E.164 number, when the input is a possible phone number. */
  readonly e164: string | undefined;
}

/** @example typedNumber('4155550100', 'US') // { formatted: '(415) 555-0100', dial: '+14155550100', e164: '+14155550100' } */
export function typedNumber(typed: string, country: CountryCode): TypedNumber {
  const bare = typed.replace(/[\s().-]/g, '');
  if (!/^\+?\d+$/.test(bare)) return { formatted: typed, dial: bare, e164: undefined };
  const asYouType = new AsYouType(country);
  const formatted = asYouType.input(bare);
  const parsed = asYouType.getNumber();
  const e164 = parsed?.isPossible() ? parsed.number : undefined;
  return { formatted, dial: e164 ?? bare, e164 };
}

/** The region of a BCP 47 language tag ("en-GB" → GB; "de" → DE, its likely region), if libphonenumber knows it. */
export function countryOfLanguage(language: string): CountryCode | undefined {
  let region: string | undefined;
  try {
    region = new Intl.Locale(language).maximize().region;
  } catch {
    return undefined;
  }
  return getCountries().find((country) => country === region);
}

export interface CountryOption {
  readonly code: CountryCode;
  /** "United Kingdom (+44)", in `language`. */
  readonly label: string;
}

/** Every country libphonenumber knows, named in `language` and sorted by name. */
export function countryOptions(language: string): CountryOption[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([language], { type: 'region' });
  } catch {
    names = undefined;
  }
  const named = getCountries().map((code) => ({ code, name: names?.of(code) ?? code }));
  const collator = new Intl.Collator(language);
  return named.sort((a, b) => collator.compare(a.name, b.name)).map(({ code, name }) => ({ code, label: `${name} (+${getCountryCallingCode(code)})` }));
}

export function isCountryCode(value: string): value is CountryCode {
  return (getCountries() as string[]).includes(value);
}
