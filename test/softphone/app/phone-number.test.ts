// What the dialer makes of a typed number: formatted for the chosen country as it is typed, dialled in E.164.
import { describe, expect, it } from 'vitest';
import { countryOfLanguage, countryOptions, typedNumber } from '../../../softphone/src/app/phone-number.ts';

describe('typed numbers', () => {
  it('formats a national number for the chosen country and dials it in E.164', () => {
    expect(typedNumber('4155550100', 'US')).toEqual({ formatted: '(415) 555-0100', dial: '+14155550100', e164: '+14155550100' });
    expect(typedNumber('02079460958', 'GB')).toEqual({ formatted: '020 7946 0958', dial: '+442079460958', e164: '+442079460958' });
    // As the field holds it after formatting: spaces and brackets do not change what is dialled.
    expect(typedNumber('020 7946 0958', 'GB').dial).toBe('+442079460958');
  });

  it('reads a number typed with + as international, whatever the country', () => {
    expect(typedNumber('+33142685300', 'US')).toEqual({ formatted: '+33 1 42 68 53 00', dial: '+33142685300', e164: '+33142685300' });
  });

  it('dials service codes and numbers too short to be possible as typed, without punctuation', () => {
    expect(typedNumber('*43', 'US')).toEqual({ formatted: '*43', dial: '*43', e164: undefined });
    expect(typedNumber('(415) 55', 'US')).toEqual({ formatted: '(415) 55', dial: '41555', e164: undefined });
    expect(typedNumber('', 'US')).toEqual({ formatted: '', dial: '', e164: undefined });
  });
});

describe('countries', () => {
  it("defaults to the language's region, or its likely one", () => {
    expect(countryOfLanguage('en-GB')).toBe('GB');
    expect(countryOfLanguage('de')).toBe('DE');
    expect(countryOfLanguage('not a language tag!')).toBeUndefined();
  });

  it('lists every country by name in the language, with its calling code', () => {
    const options = countryOptions('en');
    expect(options.length).toBeGreaterThan(200);
    expect(options).toContainEqual({ code: 'GB', label: 'United Kingdom (+44)' });
    const names = options.map((option) => option.label);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en')));
  });
});
