/**
 * Serves the built softphone app (softphone/, bundled by Vite) at `/`, from the API's own origin so the
 * session cookie and the CSRF cookie it reads are first-party. A path that is neither a route nor a file of
 * the build falls through to the API's problem+json 404.
 */
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Pages of the app that mails link to (api/email-links.ts): the same single page, which reads its path. */
const APP_PAGES = ['/reset-password', '/verify-email'];

/**
 * The bundle is self-contained (no inline script or style, nothing from other origins): anything injected into the
 * page cannot run or send data elsewhere. Signaling is a WebSocket to SIP_WS_URL: its origin alone is added to
 * connect-src (none when unset: the app then has no line to open).
 * With card payments on, the origins Stripe's integration security guide lists for Stripe.js are added: its script and
 * frames from js.stripe.com and *.js.stripe.com, 3-D Secure frames from hooks.stripe.com, its API calls to
 * api.stripe.com (not maps.googleapis.com: only the Address Element, which the app does not use, needs it).
 * No referrer: a reset link's token must not leak through one.
 */
function pageHeaders({ cardPayments, sipWebSocketUrl }: PagePolicy) {
  const connectTo = [
    "'self'",
    ...(sipWebSocketUrl === undefined ? [] : [new URL(sipWebSocketUrl).origin]),
    ...(cardPayments ? ['https://api.stripe.com'] : []),
  ];
  const directives = [
    "default-src 'self'",
    cardPayments ? "script-src 'self' https://js.stripe.com https://*.js.stripe.com" : "script-src 'self'",
    ...(cardPayments ? ['frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com'] : []),
    `connect-src ${connectTo.join(' ')}`,
    "media-src 'self' blob: mediastream:",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  return { 'content-security-policy': directives.join('; '), 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };
}

export interface PagePolicy {
  /** Stripe keys are configured, so the page loads Stripe.js for top-ups. */
  readonly cardPayments: boolean;
  /** SIP_WS_URL, where the app registers. */
  readonly sipWebSocketUrl: string | undefined;
}

export async function registerSoftphoneApp(app: FastifyInstance, root: string, policy: PagePolicy): Promise<void> {
  const headers = pageHeaders(policy);
  const indexHtml = await readFile(join(root, 'index.html'));
  const assets = join(root, 'assets') + sep;
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      // The OpenAPI page registers its own static files; this scope must not decorate the reply a second time.
      decorateReply: false,
      // Vite fingerprints the names in assets/, so those can be cached for good. Everything else keeps its name from
      // release to release and is revalidated: index.html, the manifest, the icons, and the service worker (whose
      // script is also the policy its own fetches run under).
      setHeaders(reply, path) {
        if (path.startsWith(assets)) void reply.headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=31536000, immutable' });
        else if (path.endsWith('.html') || path.endsWith('sw.js')) void reply.headers({ ...headers, 'cache-control': 'no-cache' });
        else void reply.headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
      },
    });
    for (const page of APP_PAGES) {
      scope.get(page, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .headers({ ...headers, 'cache-control': 'no-cache' })
          .send(indexHtml),
      );
    }
  });
}
