/**
 * infra/grafana/dialo-dashboard.json queries only metrics Dialo exports (metrics.ts, with prom-client's process
 * metrics under the dialo_ prefix), and shows every one of Dialo's own.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../metrics.ts';

interface Dashboard {
  uid: string;
  panels: { title: string; targets: { expr: string }[] }[];
}

const dashboard = JSON.parse(await readFile(new URL('../../infra/grafana/dialo-dashboard.json', import.meta.url), 'utf8')) as Dashboard;

/** The series names a PromQL expression reads (a histogram's _bucket, _sum and _count are its own name). */
const seriesIn = (expr: string) => [...expr.matchAll(/\bdialo_\w+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, ''));

/** The metric names an expression reads that the registry does not export. */
async function unknownIn(expressions: readonly string[]): Promise<string[]> {
  const exported = new Set((await createMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name));
  return expressions.flatMap(seriesIn).filter((name) => !exported.has(name));
}

describe('the Grafana dashboard', () => {
  const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

  it('queries only metrics the registry exports (and a made-up one would be caught)', async () => {
    expect(expressions.length).toBeGreaterThan(10);
    expect(await unknownIn(expressions)).toEqual([]);
    expect(await unknownIn(['rate(dialo_calls_dropped_total[5m])'])).toEqual(['dialo_calls_dropped_total']);
  });

  it("shows every one of Dialo's own metrics", async () => {
    const own = (await createMetrics({ processMetrics: false }).registry.getMetricsAsJSON()).map((metric) => metric.name);
    const shown = new Set(expressions.flatMap(seriesIn));
    expect(own.filter((name) => !shown.has(name))).toEqual([]);
  });
});
