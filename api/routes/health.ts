import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.ts';

const Health = Type.Object({ status: Type.Literal('ok'), database: Type.String() });

/** `GET /healthz`: the process is up and its database answers; `GET /metrics` for Prometheus. */
export function healthRoutes(app: FastifyInstance, { db, dialect, metrics }: ApiDeps): void {
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => {
    await sql`select 1`.execute(db);
    return { status: 'ok' as const, database: dialect };
  });

  /** Prometheus scrape endpoint (text exposition format). Bind the api to a private address in production. */
  app.get('/metrics', async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
