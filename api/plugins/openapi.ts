/** The OpenAPI document (generated from the route schemas) at /docs/json, and its browsable page at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Dialo API',
        version: '0.1.0',
        description:
          'Errors are RFC 9457 problem+json. Sign in with POST /auth/login: it sets the HttpOnly `dialo_session` cookie and returns a ' +
          '`csrfToken`, which every write made with that cookie must send as the `x-csrf-token` header.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'dialo_session' },
          csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
        },
      },
      tags: [
        { name: 'auth', description: 'sign-up, verification, login, sessions, passwords' },
        { name: 'privacy', description: 'your data: policy, export, correction, deletion' },
        { name: 'admin', description: 'operators only' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
