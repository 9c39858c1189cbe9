// Which amounts the top-up panel offers within the server's bounds, and how it writes them.
import { describe, expect, it } from 'vitest';
import { formatMinor, presetAmounts } from '../../../softphone/src/app/top-up-amounts.ts';

describe('top-up amounts', () => {
  it('offers the minimum, then the next 1-2-5 steps up to the maximum', () => {
    expect(presetAmounts(500, 50_000)).toEqual([500, 1000, 2000, 5000]);
    expect(presetAmounts(750, 3000)).toEqual([750, 1000, 2000]);
    expect(presetAmounts(1000, 1000)).toEqual([1000]);
    expect(presetAmounts(1, 100_000_000)).toEqual([1, 2, 5, 10]);
  });

  it('writes minor units in the currency’s own decimals', () => {
    expect(formatMinor(1000, 'usd')).toBe('10.00 USD');
    expect(formatMinor(500, 'jpy')).toBe('500 JPY');
    expect(formatMinor(1500, 'kwd')).toBe('1.500 KWD');
  });
});
