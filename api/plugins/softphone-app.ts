/**
 * Serves the built softphone app (softphone/, bundled by Vite) at `/`, from the API's own origin so the
 * session cookie and the CSRF cookie it reads are first-party. A path that is neither a route nor a file of
 * the build falls through to the API's problem+json 404.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Pages of the app that mails link to (api/email-links.ts): the same single page, which reads its path. */
const APP_PAGES = ['/reset-password'];

export async function registerSoftphoneApp(app: FastifyInstance, root: string): Promise<void> {
  const indexHtml = await readFile(join(root, 'index.html'));
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      // The OpenAPI page registers its own static files; this scope must not decorate the reply a second time.
      decorateReply: false,
      // Vite fingerprints asset names, so they can be cached for good; index.html must always be revalidated.
      setHeaders(reply, path) {
        void reply.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
      },
    });
    for (const page of APP_PAGES) {
      scope.get(page, { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml));
    }
  });
}
