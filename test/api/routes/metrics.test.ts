// /metrics is not public by default: the public port serves it only with METRICS_TOKEN (and then only to that bearer),
// and METRICS_LISTEN's listener of its own serves it on an address the operator keeps private.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMetricsServer } from '../../../api/app.ts';
import { createLogger } from '../../../logger.ts';
import { createMetrics } from '../../../metrics.ts';
import { testApi } from '../../harness/api.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

describe('GET /metrics', () => {
  let database: TestDatabase;
  let open: FastifyInstance;
  let guarded: FastifyInstance;
  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    open = await testApi(database);
    guarded = await testApi(database, { metricsToken: TOKEN });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    await database?.close();
  });

  it('is not served on the public port without a token configured', async () => {
    const response = await open.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toContain('dialo_');
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${TOKEN.replace(/.$/, 'x')}`],
    ['the token as Basic credentials', `Basic ${TOKEN}`],
  ])('answers 401 problem JSON to %s', async (_what, authorization) => {
    const response = await guarded.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(response.json()).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.stringContaining('METRICS_TOKEN') });
    expect(response.body).not.toContain(TOKEN);
  });

  it('serves the registry to the bearer of the token', async () => {
    const response = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/^# TYPE dialo_calls_active gauge$/m);
  });
});

describe('the METRICS_LISTEN listener', () => {
  it('serves /metrics on its own address, and nothing else', async () => {
    const server = await buildMetricsServer({ metrics: createMetrics({ processMetrics: false }) }, createLogger('silent'));
    try {
      const url = await server.listen({ host: '127.0.0.1', port: 0 });
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^# TYPE dialo_sip_register_total counter$/m);
      expect((await fetch(`${url}/healthz`)).status).toBe(404);
      expect((await fetch(`${url}/auth/config`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('asks for the token too when one is configured', async () => {
    const server = await buildMetricsServer({ metrics: createMetrics({ processMetrics: false }), metricsToken: TOKEN }, createLogger('silent'));
    try {
      const url = await server.listen({ host: '127.0.0.1', port: 0 });
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
