/**
 * Cookie sessions: the {@link Authenticator} for api/plugins/auth.ts, and the cookies it reads.
 *
 * - `dialo_session`: the session token. HttpOnly, SameSite=Lax, Secure unless PUBLIC_URL is localhost.
 *   Server-side (sessions table), so logout and logout-everywhere revoke it at once.
 * - CSRF: a double-submit token bound to the session. It is derived from the session token
 *   (SHA-256 of "csrf:" + token), handed to the client in the login/me body and in the readable
 *   `dialo_csrf` cookie, and every cookie-authenticated write (any method but GET/HEAD/OPTIONS) must send
 *   it back in the `x-csrf-token` header. Another site can make the browser send the cookie, but cannot read
 *   the token nor set the header; and since the token is bound to the session, planting a cookie from a
 *   sibling subdomain does not help either. SameSite=Lax is a second layer, not the only one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { findSession, type NewSession } from '../../core/accounts/sessions.ts';
import type { Database } from '../../db/schema.ts';
import type { Authenticator } from './auth.ts';
import { HttpProblem } from './errors.ts';

export const SESSION_COOKIE = 'dialo_session';
export const CSRF_COOKIE = 'dialo_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionSettings {
  readonly secureCookies: boolean;
  readonly ttlHours: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`csrf:${sessionToken}`).digest('base64url');
}

function sameSecret(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The CSRF token of the request's session cookie, if it has one. */
export function csrfTokenOf(request: FastifyRequest): string | undefined {
  const token = request.cookies[SESSION_COOKIE];
  return token === undefined ? undefined : csrfTokenFor(token);
}

export function sessionAuthenticator(db: Kysely<Database>): Authenticator {
  return async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token === undefined || token === '') return null;
    const session = await findSession(db, token);
    if (session === undefined) return null;
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, csrfTokenFor(token))) {
        throw new HttpProblem(403, 'Forbidden', `missing or wrong ${CSRF_HEADER} header for this session`, 'https://dialo.dev/problems/csrf');
      }
    }
    return { accountId: session.accountId, role: session.role, sessionId: session.sessionId };
  };
}

/** Sets the session and CSRF cookies; returns the CSRF token for the response body. */
export function setSessionCookies(reply: FastifyReply, session: NewSession, settings: SessionSettings): string {
  const csrfToken = csrfTokenFor(session.token);
  const common = { path: '/', sameSite: 'lax', secure: settings.secureCookies, expires: session.expiresAt } as const;
  void reply.setCookie(SESSION_COOKIE, session.token, { ...common, httpOnly: true });
  void reply.setCookie(CSRF_COOKIE, csrfToken, { ...common, httpOnly: false });
  return csrfToken;
}

export function clearSessionCookies(reply: FastifyReply, settings: SessionSettings): void {
  const common = { path: '/', sameSite: 'lax', secure: settings.secureCookies } as const;
  void reply.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true });
  void reply.clearCookie(CSRF_COOKIE, common);
}
