import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Metrics } from '../../metrics.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

export interface MetricsDeps {
  readonly metrics: Metrics;
  /** METRICS_TOKEN: asked for as `Authorization: Bearer <token>` when set. */
  readonly metricsToken?: string | undefined;
}

/** Compared as digests: equal lengths for timingSafeEqual, and no early exit that tells how much of a guess was right. */
const digest = (text: string) => createHash('sha256').update(text).digest();

function requireToken(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const given = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (given === undefined || !timingSafeEqual(digest(given), digest(token))) {
    void reply.header('www-authenticate', 'Bearer realm="metrics"');
    throw new HttpProblem(401, 'Unauthorized', 'GET /metrics needs Authorization: Bearer with the METRICS_TOKEN');
  }
}

/**
 * `GET /metrics` for Prometheus (text exposition format), behind the token when one is given. Registered by the public
 * port only with a token (api/app.ts), and by the listener of METRICS_LISTEN with or without one.
 */
export function metricsRoutes(app: FastifyInstance, { metrics, metricsToken }: MetricsDeps): void {
  app.get(
    '/metrics',
    {
      schema: {
        description: 'Prometheus metrics; needs `Authorization: Bearer <METRICS_TOKEN>` when that is set',
        response: { 200: Type.String({ description: 'text exposition format' }), ...problems(401) },
      },
    },
    async (request, reply) => {
      if (metricsToken !== undefined) requireToken(request, reply, metricsToken);
      void reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}
