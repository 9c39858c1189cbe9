import { describe, expect, it } from 'vitest';
import { startApp } from '../harness/app-process.ts';

// Each test spawns the app and most boot PGlite: slow on a loaded 2-core box, so a generous limit. Each process has
// its own in-memory database and port, so the tests run at once.
describe.concurrent('the dialo process', { timeout: 120_000 }, () => {
  it.each([
    [{ HTTP_PORT: 'abc' }, 'HTTP_PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DIALO_ROLES: 'everything' }, 'DIALO_ROLES'],
    // Nothing answers on port 1: the key is missed before the database is touched (nor migrated).
    [{ DATABASE_URL: 'postgres://dialo@127.0.0.1:1/dialo' }, 'PRIVACY_MASTER_KEY'],
  ])('refuses bad config %o: exit 1 and one line naming %s', async (env, variable) => {
    const app = startApp(env);
    expect(await app.exited).toBe(1);
    const lines = app.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^dialo: invalid configuration: ${variable}: expected `));
  });

  it.each([
    [{ MEDIA_SERVERS: '127.0.0.1:8021', MEDIA_SERVER_SECRET: 'ClueCon' }, 'MEDIA_SERVER_SECRET', 'ClueCon'],
    [{ DRACHTIO_HOST: '127.0.0.1', DRACHTIO_SECRET: 'cymru', SIP_SECRET: 'k7'.repeat(20) }, 'DRACHTIO_SECRET', 'cymru'],
  ])('refuses a published default secret %o: exit 1, one line naming %s and not its value', async (env, variable, value) => {
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', ...env });
    expect(await app.exited).toBe(1);
    const lines = app.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^dialo: invalid configuration: ${variable}: expected .*not the published default`))]);
    expect(app.stderr() + app.stdout()).not.toContain(value);
  });

  it('starts on embedded defaults, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', HTTP_PORT: '0', DIALO_ROLES: 'api,jobs', METRICS_LISTEN: '127.0.0.1:0' });
    const url = await app.url;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', database: 'pglite' });

    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { database: 'ok' } }]);

    // Not on the public port: only on METRICS_LISTEN's address (here a free loopback port, read from the log).
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const scrapeUrl = /"url":"([^"]+)","msg":"metrics listening"/.exec(app.stdout())?.[1];
    const metrics = await fetch(`${scrapeUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^dialo_process_cpu_user_seconds_total \d/m);

    const missing = await fetch(`${url}/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.stdout()).toMatch(/"msg":"stopped"/);
    // PGlite's first start alone took 24 s on a loaded 2-core machine: leave room beyond the 30 s default.
  }, 90_000);

  it('a process without the api role still answers /healthz and /readyz for its orchestrator', async () => {
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', HTTP_PORT: '0', DIALO_ROLES: 'jobs' });
    const url = await app.url;
    expect(app.stdout()).toContain('health endpoints only');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { database: 'ok' } }]);
    // Nothing else is served here.
    expect((await fetch(`${url}/auth/config`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  }, 90_000);

  it('a signaling process whose servers the operator runs is not ready while it has no drachtio-server to use', async () => {
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', HTTP_PORT: '0', DIALO_ROLES: 'signaling', LOCAL_SERVERS: 'off' });
    const url = await app.url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ detail: 'signaling: not started: DRACHTIO_HOST is not set' });
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  }, 90_000);
});
