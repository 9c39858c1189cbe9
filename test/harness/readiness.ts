/** `/readyz` and `/healthz` of a health server over one role's readiness check, as an orchestrator probes them. */
import { buildHealthServer } from '../../api/app.ts';
import { Readiness, type ReadinessCheck } from '../../core/readiness.ts';
import { createLogger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import type { TestDatabase } from './databases.ts';

export interface ReadinessProbe {
  readyz(): Promise<{ status: number; body: { checks?: Record<string, string>; detail?: string } }>;
  healthzStatus(): Promise<number>;
  close(): Promise<void>;
}

export async function probeReadiness(database: TestDatabase, metrics: Metrics, name: string, check: ReadinessCheck): Promise<ReadinessProbe> {
  const readiness = new Readiness();
  readiness.add(name, check);
  const health = await buildHealthServer({ db: database.db, dialect: database.dialect, metrics, readiness }, createLogger('silent'));
  return {
    async readyz() {
      const response = await health.inject({ method: 'GET', url: '/readyz' });
      return { status: response.statusCode, body: response.json() };
    },
    healthzStatus: async () => (await health.inject({ method: 'GET', url: '/healthz' })).statusCode,
    close: () => health.close(),
  };
}
