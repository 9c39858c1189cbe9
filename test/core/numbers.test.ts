import { describe, expect, it } from 'vitest';
import { e164Digits, isE164, numberFacts, numberPrefixes, toE164, type E164 } from '../../core/numbers.ts';

describe('toE164', () => {
  it.each([
    ['+44 20 7946 0958', undefined, '+442079460958'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['(415) 555-2671', 'US', '+14155552671'],
    ['00 49 30 901820', 'DE', '+4930901820'],
    ['011 44 20 7946 0958', 'US', '+442079460958'],
  ])('%s (default %s) -> %s', (dialled, country, expected) => {
    expect(toE164(dialled, country)).toMatchObject({ ok: true, e164: expected });
  });

  it.each([
    ['', 'US', 'empty'],
    ['hello', 'US', 'not-a-number'],
    ['020 7946 0958', undefined, 'invalid-country'],
    ['020 7946 0958', 'XX', 'invalid-country'],
    ['+1 555', undefined, 'too-short'],
    ['+1 200 555 0100', undefined, 'invalid'],
    ['+44 20 7946 09581234', undefined, 'too-long'],
  ])('refuses %j (default %s) as %s', (dialled, country, reason) => {
    const result = toE164(dialled, country);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe(reason);
  });

  it('gives rate digits and recognises E.164 strings', () => {
    expect(e164Digits('+442079460958' as E164)).toBe('442079460958');
    expect(isE164('+442079460958')).toBe(true);
    expect(isE164('442079460958')).toBe(false);
    expect(isE164('+0123')).toBe(false);
  });
});

describe('number facts', () => {
  it.each([
    ['+19002345678', 'US', 'PREMIUM_RATE'],
    ['+449098790123', 'GB', 'PREMIUM_RATE'],
    ['+442079460958', 'GB', 'FIXED_LINE'],
    ['+18762345678', 'JM', 'MOBILE'],
    ['+80012345678', undefined, 'TOLL_FREE'],
  ])('%s is in %s, a %s line', (number, country, type) => {
    expect(numberFacts(number as E164)).toEqual({ country, type });
  });

  it('lists every leading part of the digits', () => {
    expect(numberPrefixes('+4420' as E164)).toEqual(['4', '44', '442', '4420']);
  });
});
