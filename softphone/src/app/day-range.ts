/**
 * A span of whole UTC days picked with a pair of date inputs, both days included: [first 00:00 UTC, the day after the
 * last 00:00 UTC). UTC, as the dashboard's buckets and the exports' times are.
 */

const DAY_MS = 86_400_000;

export type DayRange =
  | { readonly ok: true; readonly from: Date | undefined; readonly to: Date | undefined; readonly days: number | undefined }
  | { readonly ok: false; readonly problem: string };

export interface DayRangeRules {
  /** Both days must be chosen (else a blank one leaves that end open). */
  readonly required?: boolean;
  /** The most days the span may cover. */
  readonly maxDays?: number;
}

/** A date input's value (`YYYY-MM-DD`, or '' when empty or not a date) as the start of that day in UTC. */
function dayStart(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const day = new Date(`${value}T00:00:00Z`);
  // Date rolls 2026-02-30 over to March 2nd: only a day that reads back the same is one.
  return Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value ? undefined : day;
}

/**
 * The span from `first` to `last` (date inputs' values), or the problem to show.
 * @example
 * dayRange('2026-12-01', '2026-12-07', { required: true }) // { ok: true, from: 2026-12-01T00:00Z, to: 2026-12-08T00:00Z, days: 7 }
 * dayRange('2026-12-07', '2026-12-01') // { ok: false, problem: 'The first day must not be after the last day.' }
 */
export function dayRange(first: string, last: string, rules: DayRangeRules = {}): DayRange {
  const from = dayStart(first);
  const lastDay = dayStart(last);
  if (rules.required && from === undefined) return { ok: false, problem: 'Choose the first day.' };
  if (rules.required && lastDay === undefined) return { ok: false, problem: 'Choose the last day.' };
  const to = lastDay && new Date(lastDay.getTime() + DAY_MS);
  if (from === undefined || to === undefined) return { ok: true, from, to, days: undefined };
  if (from >= to) return { ok: false, problem: 'The first day must not be after the last day.' };
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS);
  if (rules.maxDays !== undefined && days > rules.maxDays) return { ok: false, problem: `Choose at most ${rules.maxDays} days (this is ${days}).` };
  return { ok: true, from, to, days };
}
