/**
 * API test helpers: an app on a test database, and real sessions obtained through the real routes
 * (sign-up -> the link from the verification mail -> login), for any suite that needs a signed-in caller.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { buildApi, type ApiDeps, type PrivacySettings } from '../../api/app.ts';
import { privacyTools } from '../../core/privacy/deidentify.ts';
import { createVault } from '../../core/privacy/vault.ts';
import { CSRF_HEADER, SESSION_COOKIE, CSRF_COOKIE } from '../../api/plugins/session.ts';
import { setAccountRole } from '../../core/accounts/accounts.ts';
import { emailHash } from '../../core/accounts/email-address.ts';
import { attemptLimiter } from '../../core/accounts/throttle.ts';
import type { AccountRole, Database, EmailOutboxTable } from '../../db/schema.ts';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { createMetrics } from '../../metrics.ts';
import type { TestDatabase } from './databases.ts';

export const TEST_PUBLIC_URL = 'http://127.0.0.1:8080';
export const TEST_PASSWORD = 'plain sailing on a test sea';
export const TEST_HASH_KEY = 'test-only-privacy-hash-key-0123456789abcdef';
export const TEST_MASTER_KEY = 'test-only-privacy-master-key-0123456789abcdef';
/** One vault for every suite: keys live in each suite's own database, so sharing its cache mixes nothing. */
export const TEST_VAULT = createVault(TEST_MASTER_KEY);
export const TEST_PRIVACY: PrivacySettings = {
  tools: privacyTools(TEST_HASH_KEY, TEST_VAULT),
  operatorContact: 'privacy@dialo.test',
  retention: { usageDays: 30, callDetailDays: 90, deidentifiedYears: 7, sentMailDays: 7 },
};

/** Builds the API on a test database; `overrides` replaces any dependency. */
export async function testApi(database: TestDatabase, overrides: Partial<ApiDeps> = {}): Promise<FastifyInstance> {
  return buildApi({
    db: database.db,
    dialect: database.dialect,
    copyOut: database.copyOut,
    logger: createLogger('silent'),
    metrics: createMetrics({ processMetrics: false }),
    sip: undefined,
    billing: loadConfig({}).billing,
    payments: undefined,
    publicUrl: TEST_PUBLIC_URL,
    sessions: { secureCookies: false, ttlHours: 1 },
    attempts: attemptLimiter(TEST_PRIVACY.tools, loadConfig({}).authLimits),
    privacy: TEST_PRIVACY,
    abuse: loadConfig({}).abuse,
    defaultCountry: undefined,
    // Tests run no mail server: mail waits in the outbox, where they read it.
    mailDelivery: 'log',
    ...overrides,
  });
}

/** Builds the API once for the enclosing describe block (closed after it); call the result inside tests. */
export function useTestApi(database: () => TestDatabase, overrides: Partial<ApiDeps> = {}): () => FastifyInstance {
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    app = await testApi(database(), overrides);
  });
  afterAll(async () => {
    await app?.close();
  });
  return () => {
    if (app === undefined) throw new Error('api not ready: use it inside a test or hook');
    return app;
  };
}

export interface SignedIn {
  readonly accountId: string;
  readonly email: string;
  readonly password: string;
  readonly csrfToken: string;
  /** Send these with every request: the session cookie and the CSRF header (needed on writes). */
  readonly headers: { cookie: string; [CSRF_HEADER]: string };
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.org`;
}

/**
 * Every mail queued for `to` (of `kind`, if given), oldest first, with its address, subject and body opened. Account
 * mail is sealed (core/email/outbox.ts), so the address is compared here, after opening, not in SQL; a mail whose
 * account's key is destroyed opens to nothing and is nobody's.
 */
export async function mailsTo(db: Kysely<Database>, to: string, kind?: string): Promise<Selectable<EmailOutboxTable>[]> {
  let query = db.selectFrom('email_outbox').selectAll();
  if (kind !== undefined) query = query.where('kind', '=', kind);
  return (await openMails(db, await query.orderBy('id').execute())).filter((mail) => mail.to_address === to);
}

/** Outbox rows with address, subject and body opened; a row whose account's key is destroyed is left out. */
async function openMails(db: Kysely<Database>, rows: readonly Selectable<EmailOutboxTable>[]): Promise<Selectable<EmailOutboxTable>[]> {
  const opened = await TEST_VAULT.openAll(
    db,
    rows.flatMap((row) => [row.to_address, row.subject, row.body_text]),
  );
  return rows.flatMap((row, index) => {
    const [address, subject, text] = opened.slice(index * 3, index * 3 + 3);
    return address == null || subject == null || text == null ? [] : [{ ...row, to_address: address, subject, body_text: text }];
  });
}

/** The id of the account with this address (found by its lookup hash, as the app does), or throws. */
export async function accountIdOf(db: Kysely<Database>, email: string): Promise<string> {
  return (await db.selectFrom('accounts').select('id').where('email_hash', '=', emailHash(TEST_VAULT, email)).executeTakeFirstOrThrow()).id;
}

/** The account's address and name as the app reads them (they are stored sealed), or undefined for no such account. */
export async function openedAccount(db: Kysely<Database>, accountId: string): Promise<{ email: string | null; display_name: string | null } | undefined> {
  const row = await db.selectFrom('accounts').select(['email', 'display_name']).where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) return undefined;
  const [email, displayName] = await TEST_VAULT.openAll(db, [row.email, row.display_name]);
  return { email: email ?? null, display_name: displayName ?? null };
}

/** Every mail queued for the account, oldest first, opened (see {@link mailsTo}). */
export async function mailsOf(db: Kysely<Database>, accountId: string): Promise<Selectable<EmailOutboxTable>[]> {
  const rows = await db.selectFrom('email_outbox').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
  return openMails(db, rows);
}

/** The newest mail queued for `to` (of `kind`, if given), opened (see {@link mailsTo}). */
export async function latestMail(db: Kysely<Database>, to: string, kind?: string): Promise<Selectable<EmailOutboxTable>> {
  const mail = (await mailsTo(db, to, kind)).at(-1);
  if (mail === undefined) throw new Error(`no ${kind ?? ''} mail queued for ${to}`);
  return mail;
}

/** The first link to our public URL in a mail body, as a path + query for `inject`. */
/** The API request the verification page (/verify-email?token=) makes for the link in `body`. */
export function verificationRequest(body: string): string {
  const token = new URL(linkPath(body), TEST_PUBLIC_URL).searchParams.get('token');
  if (token === null) throw new Error(`no token in the verification link:\n${body}`);
  return `/auth/verify?token=${encodeURIComponent(token)}`;
}

export function linkPath(body: string): string {
  const match = new RegExp(`${TEST_PUBLIC_URL}(/\\S+)`).exec(body);
  if (match?.[1] === undefined) throw new Error(`no link in mail:\n${body}`);
  return match[1];
}

/** The `name=value` pairs of a response's Set-Cookie headers, as one Cookie header. */
export function cookieHeader(response: LightMyRequestResponse, names = [SESSION_COOKIE, CSRF_COOKIE]): string {
  return response.cookies
    .filter((cookie) => names.includes(cookie.name))
    .map((cookie) => `${cookie.name}=${cookie.value}`)
    .join('; ');
}

function expectStatus(response: LightMyRequestResponse, status: number, step: string): void {
  if (response.statusCode !== status) throw new Error(`${step}: expected ${status}, got ${response.statusCode}: ${response.body}`);
}

/** Logs an existing, verified account in; returns its session. */
export async function logIn(app: FastifyInstance, email: string, password = TEST_PASSWORD): Promise<SignedIn> {
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  expectStatus(login, 200, 'login');
  const { accountId, csrfToken } = login.json<{ accountId: string; csrfToken: string }>();
  return { accountId, email, password, csrfToken, headers: { cookie: cookieHeader(login), [CSRF_HEADER]: csrfToken } };
}

/**
 * Signs up, follows the verification link from the mail, optionally makes the account an operator, and
 * logs in: a real session, through the real routes.
 * @example
 * const ana = await signIn(app, db, { role: 'operator' });
 * await app.inject({ method: 'POST', url: '/admin/...', headers: ana.headers, payload });
 */
export async function signIn(
  app: FastifyInstance,
  db: Kysely<Database>,
  options: { role?: AccountRole; email?: string; password?: string } = {},
): Promise<SignedIn> {
  const email = options.email ?? uniqueEmail(options.role ?? 'user');
  const password = options.password ?? TEST_PASSWORD;
  const signup = await app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password } });
  expectStatus(signup, 202, 'sign-up');
  const mail = await latestMail(db, email, 'verify_email');
  const verify = await app.inject({ method: 'GET', url: verificationRequest(mail.body_text) });
  expectStatus(verify, 200, 'verification');
  const session = await logIn(app, email, password);
  if (options.role === 'operator') await setAccountRole(db, session.accountId, 'operator', null);
  return session;
}
