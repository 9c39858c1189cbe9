/**
 * Minutes and spend per day and per destination country as bar charts (bar-chart.ts), each named for screen readers
 * and followed by its figures as a table. Loaded only when the usage panel opens.
 */
import { barChart } from './bar-chart.ts';

interface Totals {
  readonly calls: number;
  readonly seconds: number;
  /** Currency units, as decimal text. */
  readonly spend: string;
}

/** GET /calls/usage. */
export interface Usage {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly days: readonly (Totals & { readonly day: string })[];
  readonly countries: readonly (Totals & { readonly country: string | null })[];
  readonly total: Totals;
}

function minutes(seconds: number): string {
  return `${(seconds / 60).toFixed(1)} min`;
}

/**
 * Replaces the container's content with the four charts and a total.
 * @example renderUsage(element('usage-charts'), await api.get<Usage>('/calls/usage'));
 */
export function renderUsage(container: HTMLElement, usage: Usage): void {
  const currency = usage.currency.toUpperCase();
  const money = (spend: string) => `${spend} ${currency}`;
  const regions = new Intl.DisplayNames(undefined, { type: 'region' });
  const countryName = (code: string | null) => (code === null ? 'Unknown' : (regions.of(code) ?? code));
  const total = document.createElement('p');
  total.className = 'usage-total';
  total.textContent = `${usage.total.calls} calls, ${minutes(usage.total.seconds)}, ${money(usage.total.spend)} from ${usage.from.slice(0, 10)} to ${usage.to.slice(0, 10)} (UTC)`;
  const days = usage.days;
  const countries = usage.countries;
  container.replaceChildren(
    total,
    barChart(
      'minutes-by-day',
      'Minutes per day',
      ['Day', 'Minutes'],
      days.map((row) => ({ label: row.day, value: row.seconds, text: minutes(row.seconds) })),
    ),
    barChart(
      'spend-by-day',
      'Spend per day',
      ['Day', 'Spend'],
      days.map((row) => ({ label: row.day, value: Number(row.spend), text: money(row.spend) })),
    ),
    barChart(
      'minutes-by-country',
      'Minutes per country',
      ['Country', 'Minutes'],
      countries.map((row) => ({ label: countryName(row.country), value: row.seconds, text: minutes(row.seconds) })),
    ),
    barChart(
      'spend-by-country',
      'Spend per country',
      ['Country', 'Spend'],
      countries.map((row) => ({ label: countryName(row.country), value: Number(row.spend), text: money(row.spend) })),
    ),
  );
}
