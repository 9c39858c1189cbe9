import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, ceilDiv, formatDecimal, fromMinorUnits, micros, MoneyError, negate, parseDecimal, toMinorUnits } from '../../core/money.ts';

describe('money (micro-units)', () => {
  it('refuses fractions and unsafe integers', () => {
    expect(() => micros(1.5)).toThrow(MoneyError);
    expect(() => micros(2 ** 53)).toThrow(MoneyError);
    expect(() => add(micros(2 ** 52), micros(2 ** 52))).toThrow(MoneyError);
  });

  it('parses and formats decimals exactly', () => {
    expect(parseDecimal('0.0123')).toBe(12_300);
    expect(parseDecimal('-5')).toBe(-5_000_000);
    expect(parseDecimal('12.000001')).toBe(12_000_001);
    expect(() => parseDecimal('0.0000001')).toThrow(MoneyError);
    expect(() => parseDecimal('1e3')).toThrow(MoneyError);
    expect(formatDecimal(micros(12_300))).toBe('0.0123');
    expect(formatDecimal(micros(-5_000_000))).toBe('-5.00');
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (value) => parseDecimal(formatDecimal(micros(value))) === value));
  });

  it('converts card minor units by the currency exponent', () => {
    expect(fromMinorUnits(1050, 'usd')).toBe(10_500_000);
    expect(fromMinorUnits(500, 'JPY')).toBe(500_000_000);
    expect(toMinorUnits(micros(10_500_000), 'USD')).toBe(1050);
    expect(() => toMinorUnits(micros(10_500_001), 'USD')).toThrow(MoneyError);
  });

  it('rounds division up and negates', () => {
    expect(ceilDiv(7, 2)).toBe(4);
    expect(ceilDiv(6, 2)).toBe(3);
    expect(ceilDiv(0, 60)).toBe(0);
    expect(negate(micros(0))).toBe(0);
    expect(Object.is(negate(micros(0)), -0)).toBe(false);
  });
});
