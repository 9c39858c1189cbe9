import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { CSRF_HEADER } from '../../../api/plugins/session.ts';
import { createLogger } from '../../../logger.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { TEST_PASSWORD, accountIdOf, latestMail, logIn, signIn, testApi, uniqueEmail, verificationRequest } from '../../harness/api.ts';

describeEachDialect('auth routes', (database) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApi(database());
  });
  afterAll(async () => {
    await app.close();
  });

  const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/auth/me', headers });

  it('signs up, verifies by the mailed link, logs in and knows who is calling', async () => {
    const email = uniqueEmail();
    const signup = await app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD } });
    expect(signup.statusCode).toBe(202);
    const account = await database()
      .db.selectFrom('accounts')
      .select(['id', 'status', 'password_hash'])
      .where('id', '=', await accountIdOf(database().db, email))
      .executeTakeFirstOrThrow();
    expect(account.status).toBe('pending');
    expect(account.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const link = verificationRequest((await latestMail(database().db, email, 'verify_email')).body_text);
    expect((await app.inject({ method: 'GET', url: link })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: link })).statusCode).toBe(400); // one use only

    const session = await logIn(app, email);
    expect(session.accountId).toBe(account.id);
    const who = await me(session.headers);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({ id: account.id, email, role: 'user', status: 'active', csrfToken: session.csrfToken });
  });

  it('keeps the one-time token of a mailed link out of the request log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logged = await testApi(database(), { logger: createLogger('info', sink) });
    try {
      const email = uniqueEmail();
      await logged.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD } });
      const link = verificationRequest((await latestMail(database().db, email, 'verify_email')).body_text);
      expect((await logged.inject({ method: 'GET', url: link })).statusCode).toBe(200);
      const token = new URL(link, 'http://x').searchParams.get('token')!;
      const requests = lines.filter((line) => line.includes('/auth/verify'));
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.join('')).toContain('/auth/verify?token=[redacted]');
      expect(lines.join('')).not.toContain(token);
      expect(lines.join('')).not.toContain(encodeURIComponent(token));
    } finally {
      await logged.close();
    }
  });

  it('sets the session cookie HttpOnly and SameSite, not Secure on localhost', async () => {
    const { email } = await signIn(app, database().db);
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });
    const session = login.cookies.find((cookie) => cookie.name === 'dialo_session');
    const csrf = login.cookies.find((cookie) => cookie.name === 'dialo_csrf');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session?.secure).toBeUndefined();
    expect(csrf?.httpOnly).toBeUndefined();
    expect(csrf?.value).toBe(login.json<{ csrfToken: string }>().csrfToken);
  });

  it('marks cookies Secure when the public URL is not localhost', async () => {
    const secureApp = await testApi(database(), { publicUrl: 'https://dialo.example.org', sessions: { secureCookies: true, ttlHours: 1 } });
    const { email } = await signIn(app, database().db);
    const login = await secureApp.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });
    expect(login.cookies.every((cookie) => cookie.secure === true)).toBe(true);
    await secureApp.close();
  });

  it("refuses a cookie-authenticated write without the CSRF header, or with another session's", async () => {
    const ana = await signIn(app, database().db);
    const bob = await signIn(app, database().db);
    const bare = await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: ana.headers.cookie } });
    expect(bare.statusCode).toBe(403);
    expect(bare.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bare.json()).toMatchObject({ status: 403, type: 'https://dialo.dev/problems/csrf' });
    const crossed = await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: ana.headers.cookie, [CSRF_HEADER]: bob.csrfToken } });
    expect(crossed.statusCode).toBe(403);
    expect((await me(ana.headers)).statusCode).toBe(200); // still signed in
    expect((await app.inject({ method: 'POST', url: '/auth/logout', headers: ana.headers })).statusCode).toBe(204);
    expect((await me(ana.headers)).statusCode).toBe(401);
  });

  it('logout ends only this session; logout-everywhere ends them all', async () => {
    const first = await signIn(app, database().db);
    const second = await logIn(app, first.email);
    const third = await logIn(app, first.email);
    await app.inject({ method: 'POST', url: '/auth/logout', headers: first.headers });
    expect((await me(first.headers)).statusCode).toBe(401);
    expect((await me(second.headers)).statusCode).toBe(200);
    const everywhere = await app.inject({ method: 'POST', url: '/auth/logout-everywhere', headers: second.headers });
    expect(everywhere.statusCode).toBe(204);
    expect((await me(second.headers)).statusCode).toBe(401);
    expect((await me(third.headers)).statusCode).toBe(401);
    const left = await database().db.selectFrom('sessions').select('id').where('account_id', '=', first.accountId).execute();
    expect(left).toEqual([]);
  });

  it('does not accept an expired session, nor one of a disabled account', async () => {
    const ana = await signIn(app, database().db);
    await database()
      .db.updateTable('sessions')
      .set({ expires_at: sql`now() - interval '1 second'` })
      .where('account_id', '=', ana.accountId)
      .execute();
    expect((await me(ana.headers)).statusCode).toBe(401);
    const again = await logIn(app, ana.email);
    await database().db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', ana.accountId).execute();
    expect((await me(again.headers)).statusCode).toBe(401);
  });

  it('answers the same for an unknown address and a wrong password, and audits both', async () => {
    const ana = await signIn(app, database().db);
    const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ana.email, password: 'not the password at all' } });
    const unknown = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: uniqueEmail('nobody'), password: 'not the password at all' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.cookies).toEqual([]);
    const audited = await database()
      .db.selectFrom('audit_events')
      .select(['subject_account_id', 'detail'])
      .where('action', '=', 'auth.login_failed')
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(audited).toEqual([
      { subject_account_id: null, detail: { reason: 'unknown_account', ip: '127.0.0.1' } },
      { subject_account_id: ana.accountId, detail: { reason: 'wrong_password', ip: '127.0.0.1' } },
    ]);
  });

  it('tells only the holder of the right password that the address is unverified', async () => {
    const email = uniqueEmail();
    await app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD } });
    const right = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });
    expect(right.statusCode).toBe(403);
    expect(right.json()).toMatchObject({ type: 'https://dialo.dev/problems/not-verified' });
    const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'not the password at all' } });
    expect(wrong.statusCode).toBe(401);
  });

  it('answers sign-up for a registered address exactly like a new one, and mails the owner instead', async () => {
    const ana = await signIn(app, database().db);
    const fresh = await app.inject({ method: 'POST', url: '/auth/signup', payload: { email: uniqueEmail(), password: TEST_PASSWORD } });
    const again = await app.inject({ method: 'POST', url: '/auth/signup', payload: { email: ana.email.toUpperCase(), password: 'another long password' } });
    expect(again.statusCode).toBe(fresh.statusCode);
    expect(again.json()).toEqual(fresh.json());
    expect((await latestMail(database().db, ana.email)).kind).toBe('already_registered');
    // The old password still works: a sign-up never changes an existing account.
    expect((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ana.email, password: TEST_PASSWORD } })).statusCode).toBe(200);
  });

  it.each([
    ['a short password', { email: 'short@example.org', password: 'abc123' }, 'weak-password'],
    ['a common password', { email: 'common@example.org', password: 'password123' }, 'weak-password'],
    ['the address as password', { email: 'samesame@example.org', password: 'samesame@example.org' }, 'weak-password'],
    ['a Cyrillic look-alike in the address', { email: 'аna@example.org', password: TEST_PASSWORD }, undefined],
    ['a zero-width space in the address', { email: 'ana\u200b@example.org', password: TEST_PASSWORD }, undefined],
    ['no password', { email: 'nopass@example.org' }, undefined],
    ['a number as e-mail', { email: 42, password: TEST_PASSWORD }, undefined],
  ])('refuses sign-up with %s: 400 problem, nothing written', async (_label, payload, type) => {
    const before = await database().db.selectFrom('accounts').select(database().db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const response = await app.inject({ method: 'POST', url: '/auth/signup', payload });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (type !== undefined) expect(response.json()).toMatchObject({ type: `https://dialo.dev/problems/${type}` });
    const after = await database().db.selectFrom('accounts').select(database().db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('says how mail leaves (GET /auth/config, no session needed): log without SMTP_URL, smtp with it', async () => {
    const logMode = await app.inject({ method: 'GET', url: '/auth/config' });
    expect(logMode.statusCode).toBe(200);
    expect(logMode.json()).toEqual({ mailDelivery: 'log' });
    const smtpApp = await testApi(database(), { mailDelivery: 'smtp' });
    try {
      expect((await smtpApp.inject({ method: 'GET', url: '/auth/config' })).json()).toEqual({ mailDelivery: 'smtp' });
      const doc = (await smtpApp.inject({ method: 'GET', url: '/docs/json' })).json();
      const mailDelivery = doc.paths['/auth/config'].get.responses['200'].content['application/json'].schema.properties.mailDelivery;
      expect(mailDelivery.anyOf.flatMap((choice: { enum: string[] }) => choice.enum)).toEqual(['smtp', 'log']);
    } finally {
      await smtpApp.close();
    }
  });

  it('gives operators their role through the harness', async () => {
    const operator = await signIn(app, database().db, { role: 'operator' });
    expect((await me(operator.headers)).json()).toMatchObject({ role: 'operator' });
  });

  it('works through a real port with a cookie jar of its own', async () => {
    const email = uniqueEmail('port');
    await signIn(app, database().db, { email });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const login = await fetch(`${address}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: TEST_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const who = await fetch(`${address}/auth/me`, { headers: { cookie } });
    expect(((await who.json()) as { email: string }).email).toBe(email);
    const logout = await fetch(`${address}/auth/logout`, { method: 'POST', headers: { cookie, [CSRF_HEADER]: csrfToken } });
    expect(logout.status).toBe(204);
    expect((await fetch(`${address}/auth/me`, { headers: { cookie } })).status).toBe(401);
  });
});
