/**
 * A horizontal bar chart as inline SVG (no charting library): named for screen readers by its caption (role=img) and
 * followed by its figures as a table. Shared by the usage panel and the operator console, each a lazily loaded chunk.
 */
import { headedTable } from './headed-table.ts';
import './usage.css';

export interface Bar {
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

/** One chart: a caption naming the image, the bars (each with a <title>) and the same figures as a table. */
export function barChart(kind: string, caption: string, headings: readonly [string, string], bars: readonly Bar[]): HTMLElement {
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
  const { table, body } = headedTable('usage-figures', headings);
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
