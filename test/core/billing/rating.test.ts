import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billedSeconds, chargeFor, maxSecondsFor, type Tariff } from '../../../core/billing/rating.ts';
import { micros } from '../../../core/money.ts';

const tariffs = fc.record({
  pricePerMinute: fc.integer({ min: 0, max: 50_000_000 }).map(micros),
  firstIncrement: fc.integer({ min: 1, max: 120 }),
  nextIncrement: fc.integer({ min: 1, max: 120 }),
  connectionFee: fc.integer({ min: 0, max: 1_000_000 }).map(micros),
});
const seconds = fc.integer({ min: 0, max: 86_400 });

describe('billed seconds', () => {
  it.each([
    [0, 60, 60, 0],
    [1, 60, 60, 60],
    [60, 60, 60, 60],
    [61, 60, 60, 120],
    [1, 1, 1, 1],
    [59, 1, 1, 59],
    [29, 30, 6, 30],
    [31, 30, 6, 36],
    [36, 30, 6, 36],
    [37, 30, 6, 42],
  ])('%is at %i/%i bills %is', (duration, first, next, expected) => {
    expect(billedSeconds(duration, first, next)).toBe(expected);
  });

  it('never bills less than the call, and by less than one increment more', () => {
    fc.assert(
      fc.property(
        seconds.filter((s) => s > 0),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 120 }),
        (s, first, next) => {
          const billed = billedSeconds(s, first, next);
          expect(billed).toBeGreaterThanOrEqual(Math.max(s, first));
          expect(billed).toBeLessThan(Math.max(s, first) + next);
          expect(billed <= first || (billed - first) % next === 0).toBe(true);
        },
      ),
    );
  });

  it('refuses negative and fractional durations', () => {
    expect(() => billedSeconds(-1, 1, 1)).toThrow(RangeError);
    expect(() => billedSeconds(1.5, 1, 1)).toThrow(RangeError);
  });
});

describe('charge', () => {
  it('prices sub-cent per-second rates exactly', () => {
    // 0.6 cent/minute = 0.0001/second = 100 micros/second.
    const tariff: Tariff = { pricePerMinute: micros(6000), firstIncrement: 1, nextIncrement: 1, connectionFee: micros(0) };
    expect(chargeFor(tariff, 1)).toBe(100);
    expect(chargeFor(tariff, 61)).toBe(6100);
    expect(chargeFor({ ...tariff, connectionFee: micros(5000) }, 0)).toBe(0);
    expect(chargeFor({ ...tariff, connectionFee: micros(5000) }, 1)).toBe(5100);
  });

  it('rounds a price that does not divide by 60 up to the next micro, once', () => {
    const tariff: Tariff = { pricePerMinute: micros(100), firstIncrement: 1, nextIncrement: 1, connectionFee: micros(0) };
    expect(chargeFor(tariff, 1)).toBe(2); // 1.67 -> 2
    expect(chargeFor(tariff, 3)).toBe(5);
  });

  it('is monotonic in duration and exact to within one micro', () => {
    fc.assert(
      fc.property(tariffs, seconds, seconds, (tariff, a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        expect(chargeFor(tariff, short)).toBeLessThanOrEqual(chargeFor(tariff, long));
        const billed = billedSeconds(long, tariff.firstIncrement, tariff.nextIncrement);
        if (billed > 0) {
          const exact = tariff.connectionFee + (tariff.pricePerMinute * billed) / 60;
          expect(chargeFor(tariff, long) - exact).toBeGreaterThanOrEqual(0);
          expect(chargeFor(tariff, long) - exact).toBeLessThan(1);
        }
      }),
    );
  });
});

describe('max seconds for available credit', () => {
  it('is the longest increment-aligned call that the credit pays for', () => {
    const tariff: Tariff = { pricePerMinute: micros(60_000), firstIncrement: 60, nextIncrement: 60, connectionFee: micros(0) };
    expect(maxSecondsFor(tariff, micros(150_000), 3600)).toBe(120);
    expect(maxSecondsFor(tariff, micros(59_999), 3600)).toBe(0);
    expect(maxSecondsFor(tariff, micros(10_000_000), 3600)).toBe(3600);
    expect(maxSecondsFor({ ...tariff, pricePerMinute: micros(0) }, micros(0), 7200)).toBe(7200);
    expect(maxSecondsFor({ ...tariff, connectionFee: micros(1) }, micros(60_000), 3600)).toBe(0);
  });

  it('always fits, and one more increment would not (unless capped)', () => {
    fc.assert(
      fc.property(tariffs, fc.integer({ min: -1_000_000, max: 100_000_000 }).map(micros), fc.integer({ min: 1, max: 14_400 }), (tariff, available, cap) => {
        const max = maxSecondsFor(tariff, available, cap);
        if (max === 0) {
          expect(tariff.firstIncrement > cap || chargeFor(tariff, tariff.firstIncrement) > available).toBe(true);
          return;
        }
        expect(max).toBeLessThanOrEqual(cap);
        expect(billedSeconds(max, tariff.firstIncrement, tariff.nextIncrement)).toBe(max);
        expect(chargeFor(tariff, max)).toBeLessThanOrEqual(available);
        const next = max + tariff.nextIncrement;
        expect(next > cap || chargeFor(tariff, next) > available).toBe(true);
      }),
    );
  });
});
