/**
 * The seam between "who is calling" and the routes. The session plugin supplies an {@link Authenticator};
 * routes only ever call {@link requireCaller} / {@link requireOperator}, so they never touch cookies or tokens.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountRole } from '../../db/schema.ts';
import { HttpProblem } from './errors.ts';

export interface Caller {
  readonly accountId: string;
  readonly role: AccountRole;
  /** The session the request came in on (for logout, re-authentication, CSRF). */
  readonly sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** Resolves the request's caller, or null when it carries no valid session. */
export type Authenticator = (request: FastifyRequest) => Promise<Caller | null>;

export function registerAuth(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    request.caller = await authenticate(request);
  });
}

/** The signed-in caller, or a 401 problem. */
export function requireCaller(request: FastifyRequest): Caller {
  if (request.caller === null) throw new HttpProblem(401, 'Unauthorized', 'sign in first');
  return request.caller;
}

/** The signed-in operator, or a 401/403 problem. */
export function requireOperator(request: FastifyRequest): Caller {
  const caller = requireCaller(request);
  if (caller.role !== 'operator') throw new HttpProblem(403, 'Forbidden', 'operators only');
  return caller;
}
