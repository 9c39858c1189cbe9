// Amounts an operator types in major units, read exactly as integer minor units and written back as decimal text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalOfMinor, parseMajorUnits } from '../../../softphone/src/app/major-units.ts';

describe('major units', () => {
  it('reads the digits exactly, in the currency’s own decimals', () => {
    expect(parseMajorUnits('2.5', 'usd')).toEqual({ ok: true, minor: 250 });
    expect(parseMajorUnits('0.29', 'usd')).toEqual({ ok: true, minor: 29 });
    expect(parseMajorUnits(' 1.15 ', 'usd')).toEqual({ ok: true, minor: 115 });
    expect(parseMajorUnits('-0.07', 'usd', { negative: true })).toEqual({ ok: true, minor: -7 });
    expect(parseMajorUnits('500', 'jpy')).toEqual({ ok: true, minor: 500 });
    expect(parseMajorUnits('1.5', 'kwd')).toEqual({ ok: true, minor: 1500 });
    expect(parseMajorUnits('-0', 'usd', { negative: true })).toEqual({ ok: true, minor: 0 });
  });

  it('says what is wrong with anything else', () => {
    expect(parseMajorUnits('1.005', 'usd')).toEqual({ ok: false, problem: 'USD amounts have at most 2 decimals' });
    expect(parseMajorUnits('1.5', 'jpy')).toEqual({ ok: false, problem: 'JPY amounts have no decimals' });
    expect(parseMajorUnits('-1', 'usd')).toEqual({ ok: false, problem: 'the amount cannot be negative' });
    expect(parseMajorUnits('1,50', 'usd')).toEqual({ ok: false, problem: 'write the amount in USD as digits, e.g. 5.00' });
    expect(parseMajorUnits('1e3', 'usd')).toMatchObject({ ok: false });
    expect(parseMajorUnits('', 'usd')).toMatchObject({ ok: false });
    expect(parseMajorUnits('1234567890', 'usd')).toEqual({ ok: false, problem: 'at most 9 digits before the decimal point' });
  });

  it('writes minor units back as the same decimal text', () => {
    expect(decimalOfMinor(-250, 'usd')).toBe('-2.50');
    expect(decimalOfMinor(7, 'usd')).toBe('0.07');
    expect(decimalOfMinor(500, 'jpy')).toBe('500');
    expect(decimalOfMinor(1500, 'kwd')).toBe('1.500');
    fc.assert(
      fc.property(fc.integer({ min: -99_999_999_999, max: 99_999_999_999 }), (minor) => {
        expect(parseMajorUnits(decimalOfMinor(minor, 'usd'), 'usd', { negative: true })).toEqual({ ok: true, minor: minor === 0 ? 0 : minor });
      }),
    );
  });
});
