/**
 * Serves the built softphone app (softphone/, bundled by Vite) at `/`, from the API's own origin so the
 * session cookie and the CSRF cookie it reads are first-party. A path that is neither a route nor a file of
 * the build falls through to the API's problem+json 404.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export async function registerSoftphoneApp(app: FastifyInstance, root: string): Promise<void> {
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
  });
}
