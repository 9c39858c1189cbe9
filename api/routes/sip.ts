/**
 * `POST /sip/credentials`: short-lived SIP credentials for the signed-in caller's browser. The password is derived
 * (HMAC) from the username, which carries the account and expiry; nothing is stored and nothing long-lived reaches
 * the browser.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { iceServersFor } from '../../core/accounts/ice-servers.ts';
import { issueBrowserCredentials } from '../../core/accounts/sip-credentials.ts';
import type { ApiDeps } from '../app.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const Credentials = Type.Object({
  username: Type.String(),
  password: Type.String(),
  realm: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  webSocketUrl: Type.Union([Type.String(), Type.Null()]),
  /** For RTCPeerConnection: STUN, and TURN with credentials valid as long as the SIP ones. */
  iceServers: Type.Array(Type.Object({ urls: Type.Array(Type.String()), username: Type.Optional(Type.String()), credential: Type.Optional(Type.String()) })),
  echoTestNumber: Type.Union([Type.String(), Type.Null()], {
    description: 'what to dial for the echo test (the caller hears its own audio back, free), e.g. *43; null when turned off',
  }),
});

export function sipRoutes(app: FastifyInstance, { sip, echoTestNumber }: ApiDeps): void {
  app.post('/sip/credentials', { schema: { response: { 200: Credentials, ...problems(401, 403, 503) } } }, async (request, reply) => {
    const caller = requireCaller(request);
    if (sip === undefined) throw new HttpProblem(503, 'SIP Not Configured', 'this deployment has no SIP_SECRET: calling is not set up');
    const credentials = issueBrowserCredentials(sip.secret, caller.accountId, new Date(), sip.browserCredentialTtlSeconds);
    // Credentials are secrets: never cached by the browser or a proxy.
    void reply.header('cache-control', 'no-store');
    return {
      username: credentials.username,
      password: credentials.password,
      realm: sip.realm,
      expiresAt: credentials.expiresAt.toISOString(),
      webSocketUrl: sip.webSocketUrl ?? null,
      iceServers: iceServersFor(sip.ice, caller.accountId, credentials.expiresAt),
      echoTestNumber: echoTestNumber ?? null,
    };
  });
}
