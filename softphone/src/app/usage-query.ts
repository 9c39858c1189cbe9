/**
 * What the history's filters ask of the API (GET /calls, /calls/export and /calls/usage alike). Dates are whole days
 * in UTC, as the usage summary's are.
 */

export interface FilterValues {
  /** `YYYY-MM-DD` from a date input, or empty. */
  readonly from: string;
  /** The last day included, or empty. */
  readonly to: string;
  readonly direction: string;
  readonly outcome: string;
  readonly country: string;
  /** A whole number at either end of the call. */
  readonly number: string;
}

const DAY_MS = 86_400_000;

/**
 * The API query for the form's values: the `to` day is included, so the range ends at the next midnight (UTC).
 * @example filterQuery({ from: '2026-03-01', to: '2026-03-01', direction: '', outcome: 'missed', country: 'gb' })
 * // "from=2026-03-01T00%3A00%3A00.000Z&to=2026-03-02T00%3A00%3A00.000Z&outcome=missed&country=GB"
 */
export function filterQuery(values: FilterValues): string {
  const query = new URLSearchParams();
  if (values.from !== '') query.set('from', new Date(`${values.from}T00:00:00Z`).toISOString());
  if (values.to !== '') query.set('to', new Date(Date.parse(`${values.to}T00:00:00Z`) + DAY_MS).toISOString());
  if (values.direction !== '') query.set('direction', values.direction);
  if (values.outcome !== '') query.set('outcome', values.outcome);
  if (values.country.trim() !== '') query.set('country', values.country.trim().toUpperCase());
  if (values.number.trim() !== '') query.set('number', values.number.trim());
  return query.toString();
}
