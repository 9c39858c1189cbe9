// The operator console's date pairs: whole UTC days, both included, checked for order and span.
import { describe, expect, it } from 'vitest';
import { dayRange } from '../../../softphone/src/app/day-range.ts';

describe('day range', () => {
  it('covers whole UTC days, the last one included', () => {
    expect(dayRange('2026-12-01', '2026-12-07', { required: true })).toEqual({
      ok: true,
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-08T00:00:00Z'),
      days: 7,
    });
    expect(dayRange('2026-12-07', '2026-12-07')).toMatchObject({ ok: true, days: 1, to: new Date('2026-12-08T00:00:00Z') });
    // Across a month's and a year's end, and a leap day.
    expect(dayRange('2028-02-28', '2028-03-01')).toMatchObject({ ok: true, days: 3 });
    expect(dayRange('2026-12-31', '2026-12-31')).toMatchObject({ ok: true, to: new Date('2027-01-01T00:00:00Z') });
  });

  it('refuses a first day after the last, and a span past the bound, saying so', () => {
    expect(dayRange('2026-12-07', '2026-12-06')).toEqual({ ok: false, problem: 'The first day must not be after the last day.' });
    expect(dayRange('2026-01-01', '2026-04-03', { maxDays: 93 })).toMatchObject({ ok: true, days: 93 });
    expect(dayRange('2026-01-01', '2026-04-04', { maxDays: 93 })).toEqual({ ok: false, problem: 'Choose at most 93 days (this is 94).' });
  });

  it('leaves a blank end open unless both are required', () => {
    expect(dayRange('', '')).toEqual({ ok: true, from: undefined, to: undefined, days: undefined });
    expect(dayRange('2026-12-01', '')).toEqual({ ok: true, from: new Date('2026-12-01T00:00:00Z'), to: undefined, days: undefined });
    expect(dayRange('', '2026-12-01', { required: true })).toEqual({ ok: false, problem: 'Choose the first day.' });
    expect(dayRange('2026-12-01', '', { required: true })).toEqual({ ok: false, problem: 'Choose the last day.' });
    expect(dayRange('2026-02-30', '2026-03-01', { required: true })).toEqual({ ok: false, problem: 'Choose the first day.' });
  });
});
