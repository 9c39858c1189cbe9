/**
 * Sign-up, e-mail verification, login, logout and "who am I". Answers never reveal whether an address has
 * an account: sign-up always says "check your mail", login failures all read the same.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { getAccountSummary, logIn, signUp, verifyEmail } from '../../core/accounts/accounts.ts';
import { EMAIL_MAX_LENGTH, EMAIL_PATTERN } from '../../core/accounts/email-address.ts';
import { changePassword, requestPasswordReset, resetPassword } from '../../core/accounts/password-changes.ts';
import { createSession, endAccountSessions, endSession } from '../../core/accounts/sessions.ts';
import type { ApiDeps } from '../app.ts';
import { emailLinks } from '../email-links.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { clearSessionCookies, csrfTokenOf, setSessionCookies } from '../plugins/session.ts';
import { MessageSchema, problems } from '../schemas/problem.ts';

export const EmailSchema = Type.String({ maxLength: EMAIL_MAX_LENGTH, pattern: EMAIL_PATTERN, description: 'plain ASCII address' });
/** Length rules live in core (with reasons); the schema only caps the size of what we hash. */
export const PasswordSchema = Type.String({ minLength: 1, maxLength: 1024 });
const Credentials = Type.Object({ email: EmailSchema, password: PasswordSchema }, { additionalProperties: false });
const Token = Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });

const LoggedIn = Type.Object({ accountId: Type.String(), role: Type.String(), csrfToken: Type.String() });
const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.String(),
  status: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  csrfToken: Type.String(),
});

const AuthConfig = Type.Object({
  mailDelivery: Type.Union([Type.Literal('smtp'), Type.Literal('log')], {
    description: "smtp: mail is sent; log: no mail server is set up (SMTP_URL unset), each mail's links are in the server's log",
  }),
});

export async function authRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { db, sessions, attempts } = deps;
  const { vault } = deps.privacy.tools;
  const links = emailLinks(deps.publicUrl);
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();

  scope.get(
    '/auth/config',
    { schema: { tags: ['auth'], description: 'How account mail reaches people, so the app can say where to find a link.', response: { 200: AuthConfig } } },
    () => ({ mailDelivery: deps.mailDelivery }),
  );

  scope.post(
    '/auth/signup',
    { schema: { tags: ['auth'], body: Credentials, response: { 202: MessageSchema, ...problems(400, 413, 415, 429) } } },
    async (request, reply) => {
      await signUp(db, vault, attempts, request.body, links, { ip: request.ip });
      return reply.code(202).send({ message: 'check your mail: we sent you a link to continue' });
    },
  );

  scope.get(
    '/auth/verify',
    {
      schema: {
        tags: ['auth'],
        description: 'The link in the verification mail: activates the account, or moves it to a new address.',
        querystring: Type.Object({ token: Token }),
        response: { 200: MessageSchema, ...problems(400, 409) },
      },
    },
    async (request) => {
      await verifyEmail(db, vault, request.query.token);
      return { message: 'address confirmed' };
    },
  );

  scope.post(
    '/auth/login',
    { schema: { tags: ['auth'], body: Credentials, response: { 200: LoggedIn, ...problems(400, 401, 403, 413, 415, 429) } } },
    async (request, reply) => {
      const account = await logIn(db, vault, attempts, request.body, { ip: request.ip });
      const session = await createSession(db, account.id, sessions.ttlHours * 3_600_000);
      const csrfToken = setSessionCookies(reply, session, sessions);
      return { accountId: account.id, role: account.role, csrfToken };
    },
  );

  scope.post('/auth/logout', { schema: { tags: ['auth'], response: { 204: Type.Null(), ...problems(401, 403) } } }, async (request, reply) => {
    await endSession(db, requireCaller(request).sessionId);
    clearSessionCookies(reply, sessions);
    return reply.code(204).send(null);
  });

  scope.post(
    '/auth/logout-everywhere',
    { schema: { tags: ['auth'], description: 'Ends every session of the account, this one included.', response: { 204: Type.Null(), ...problems(401, 403) } } },
    async (request, reply) => {
      await endAccountSessions(db, requireCaller(request).accountId);
      clearSessionCookies(reply, sessions);
      return reply.code(204).send(null);
    },
  );

  scope.get('/auth/me', { schema: { tags: ['auth'], response: { 200: Me, ...problems(401) } } }, async (request) => {
    const caller = requireCaller(request);
    const account = await getAccountSummary(db, vault, caller.accountId);
    const csrfToken = csrfTokenOf(request);
    if (account === undefined || csrfToken === undefined) throw new HttpProblem(401, 'Unauthorized', 'sign in first');
    return { ...account, createdAt: account.createdAt.toISOString(), csrfToken };
  });

  scope.post(
    '/auth/password',
    {
      schema: {
        tags: ['auth'],
        description: 'Changes the password (the current one is required); ends every other session.',
        body: Type.Object({ currentPassword: PasswordSchema, newPassword: PasswordSchema }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      await changePassword(db, vault, attempts, requireCaller(request), request.body);
      return reply.code(204).send(null);
    },
  );

  scope.post(
    '/auth/password-reset',
    {
      schema: {
        tags: ['auth'],
        description: 'Mails a reset link if the address has an account; answers the same either way.',
        body: Type.Object({ email: EmailSchema }, { additionalProperties: false }),
        response: { 202: MessageSchema, ...problems(400, 429) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(db, vault, attempts, request.body.email, links, { ip: request.ip });
      return reply.code(202).send({ message: 'if this address has an account, we sent it a link' });
    },
  );

  scope.post(
    '/auth/password-reset/confirm',
    {
      schema: {
        tags: ['auth'],
        description: 'Sets a new password with the token from the reset link; ends every session.',
        body: Type.Object({ token: Token, password: PasswordSchema }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(400) },
      },
    },
    async (request, reply) => {
      await resetPassword(db, vault, attempts, request.body.token, request.body.password);
      return reply.code(204).send(null);
    },
  );
}
