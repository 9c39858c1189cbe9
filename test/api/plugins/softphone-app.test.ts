// The api role serves the built softphone app at `/` (same origin as the API, so its cookies are first-party),
// while paths that are neither routes nor files of the build still answer problem+json.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { testApi } from '../../harness/api.ts';
import { startFakeStripe, type FakeStripe } from '../../harness/fake-stripe.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { buildSoftphoneApp, type BuiltSoftphoneApp } from '../../harness/softphone-app.ts';

describe('softphone app served by the API', () => {
  let database: TestDatabase;
  let build: BuiltSoftphoneApp;
  let api: FastifyInstance;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    build = await buildSoftphoneApp();
    api = await testApi(database, { softphoneRoot: build.dir });
  });
  afterAll(async () => {
    await api?.close();
    await build?.remove();
    await database?.close();
  });

  it('serves index.html at / and the bundle it references', async () => {
    const page = await api.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    // The page runs only its own bundle: no inline script, nothing from another origin.
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self';/);
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.body).toContain('<title>Dialo</title>');
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const bundle = await api.inject({ method: 'GET', url: script! });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    expect(bundle.body).toContain('/sip/credentials');
  });

  it('serves the service worker, manifest and icons under fixed names, revalidated (only fingerprinted assets are immutable)', async () => {
    const worker = await api.inject({ method: 'GET', url: '/sw.js' });
    expect(worker.statusCode).toBe(200);
    expect(worker.headers['content-type']).toMatch(/javascript/);
    expect(worker.headers['cache-control']).toBe('no-cache');
    expect(worker.headers['content-security-policy']).toMatch(/^default-src 'self';/);
    const manifest = await api.inject({ method: 'GET', url: '/manifest.webmanifest' });
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['cache-control']).toBe('no-cache');
    const icons = (manifest.json() as { icons: { src: string }[] }).icons;
    for (const { src } of icons) {
      const icon = await api.inject({ method: 'GET', url: src });
      expect(icon.statusCode, src).toBe(200);
      expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(icon.headers['cache-control']).toBe('no-cache');
    }
    const page = await api.inject({ method: 'GET', url: '/' });
    expect(page.body).toContain('<link rel="manifest" href="/manifest.webmanifest"');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    expect((await api.inject({ method: 'GET', url: script })).headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('serves the app at /reset-password too, where the password-reset mail links', async () => {
    const page = await api.inject({ method: 'GET', url: '/reset-password?token=abcdefghijklmnop' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>Dialo</title>');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('lets the page reach SIP_WS_URL and exactly the Stripe.js origins Stripe documents, those only when card payments are configured', async () => {
    const policy = async (served: FastifyInstance) => (await served.inject({ method: 'GET', url: '/' })).headers['content-security-policy'];
    const withoutStripe = String(await policy(api));
    expect(withoutStripe).not.toMatch(/stripe/);
    expect(withoutStripe).not.toMatch(/frame-src/);
    // No SIP_WS_URL: no WebSocket beyond the page's own origin.
    expect(withoutStripe).toContain("connect-src 'self';");

    const stripe: FakeStripe = await startFakeStripe();
    const paying = await testApi(database, {
      softphoneRoot: build.dir,
      payments: { provider: stripe.provider, publishableKey: 'pk_test_fake' },
      sip: loadConfig({ SIP_SECRET: 'k'.repeat(40), SIP_WS_URL: 'wss://sip.example.org:8443/ws' }).sip,
    });
    try {
      const directives = Object.fromEntries(
        String(await policy(paying))
          .split('; ')
          .map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]),
      );
      expect(directives['default-src']).toEqual(["'self'"]);
      expect(directives['script-src']).toEqual(["'self'", 'https://js.stripe.com', 'https://*.js.stripe.com']);
      expect(directives['frame-src']).toEqual(['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com']);
      // WebSockets only to SIP_WS_URL's origin, not to any host.
      expect(directives['connect-src']).toEqual(["'self'", 'wss://sip.example.org:8443', 'https://api.stripe.com']);
      expect(directives['frame-ancestors']).toEqual(["'none'"]);
    } finally {
      await paying.close();
      await stripe.close();
    }
  });

  it('answers problem+json for paths that are neither API routes nor app files', async () => {
    for (const url of ['/billing/nothing-here', '/auth/unknown', '/assets/missing.js', '/no-such-page']) {
      const response = await api.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(response.json(), url).toMatchObject({ title: 'Not Found', status: 404 });
    }
  });

  it('keeps API routes in front of the app: GET /auth/me without a session is still a 401 problem', async () => {
    const response = await api.inject({ method: 'GET', url: '/auth/me' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
