/**
 * Minutes and spend per day and per destination country as bar charts: inline SVG (no charting library), each chart
 * named for screen readers and followed by its figures as a table. Loaded only when the usage panel opens.
 */
import './usage.css';

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

interface Bar {
  readonly label: string;
  /** What the bar's length stands for. */
  readonly value: number;
  /** The figure as written beside the bar and in the table. */
  readonly text: string;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 480;
const ROW = 28;
const LABEL_WIDTH = 150;
const TEXT_WIDTH = 90;

let charts = 0;

function svgElement<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

function minutes(seconds: number): string {
  return `${(seconds / 60).toFixed(1)} min`;
}

/** One chart: a caption naming the image, the bars (each with a <title>) and the same figures as a table. */
function barChart(kind: string, caption: string, headings: readonly [string, string], bars: readonly Bar[]): HTMLElement {
  charts += 1;
  const figure = document.createElement('figure');
  figure.className = 'usage-chart';
  figure.dataset.chart = kind;
  const captionId = `usage-chart-${charts}`;
  const figcaption = document.createElement('figcaption');
  figcaption.id = captionId;
  figcaption.textContent = caption;
  const height = Math.max(1, bars.length) * ROW;
  const svg = svgElement('svg', { viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'img', 'aria-labelledby': captionId });
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const room = WIDTH - LABEL_WIDTH - TEXT_WIDTH;
  bars.forEach((bar, i) => {
    const y = i * ROW;
    const length = max === 0 ? 0 : Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * room);
    const group = svgElement('g', { class: 'usage-bar', 'data-label': bar.label, 'data-value': bar.text });
    const title = svgElement('title', {});
    title.textContent = `${bar.label}: ${bar.text}`;
    const label = svgElement('text', { x: 0, y: y + ROW / 2, 'dominant-baseline': 'middle' });
    label.textContent = bar.label;
    const rect = svgElement('rect', { x: LABEL_WIDTH, y: y + 6, width: length.toFixed(1), height: ROW - 12, rx: 2 });
    const value = svgElement('text', { x: LABEL_WIDTH + length + 6, y: y + ROW / 2, 'dominant-baseline': 'middle' });
    value.textContent = bar.text;
    group.append(title, label, rect, value);
    svg.append(group);
  });
  const table = document.createElement('table');
  table.className = 'usage-figures';
  const head = table.createTHead().insertRow();
  for (const text of headings) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.append(th);
  }
  const body = table.createTBody();
  for (const bar of bars) {
    const row = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = bar.label;
    row.append(th);
    row.insertCell().textContent = bar.text;
  }
  figure.append(figcaption, svg, table);
  return figure;
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
