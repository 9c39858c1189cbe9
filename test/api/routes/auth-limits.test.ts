/**
 * Attempt limits that protect users, through the real routes: only failed logins count, a source is blocked before
 * an account, a lock-out is lifted by the reset link, sign-up (and so resending a link) is limited, every 429 says
 * when to retry, the counters are keyed by the privacy key and go with the account. And where an answer could tell
 * whether an address has an account, both paths run the same statements.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely, KyselyPlugin } from 'kysely';
import { expect, it } from 'vitest';
import { counterKey, DEFAULT_AUTH_LIMITS as LIMITS, type CounterKind } from '../../../core/accounts/throttle.ts';
import type { Database } from '../../../db/schema.ts';
import { emailHash } from '../../../core/accounts/email-address.ts';
import {
  TEST_PASSWORD,
  TEST_PRIVACY,
  TEST_VAULT,
  latestMail,
  linkPath,
  mailsTo,
  openedAccount,
  signIn,
  testApi,
  uniqueEmail,
  useTestApi,
  type SignedIn,
} from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { findEverywhere } from '../../harness/privacy.ts';

const NEW_PASSWORD = 'a brand new passphrase';
const WRONG = 'wrong password here';
let ipCounter = 0;
/** A fresh source address per call, so one test's per-IP counts do not reach another. */
const freshIp = () => `198.18.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

/** The Retry-After of a 429: whole seconds, more than 0, at most the window. */
function expectRetryAfter(response: LightMyRequestResponse, windowSeconds: number): void {
  expect(response.statusCode, response.body).toBe(429);
  expect(response.json()).toMatchObject({ status: 429, type: 'https://dialo.dev/problems/rate-limited' });
  const header = String(response.headers['retry-after']);
  expect(header).toMatch(/^\d+$/);
  expect(Number(header)).toBeGreaterThan(0);
  expect(Number(header)).toBeLessThanOrEqual(windowSeconds);
}

/** A database handle that records every statement's SQL (placeholders, not values) as the app sends it. */
function recording(db: Kysely<Database>): { db: Kysely<Database>; take(): string[] } {
  let statements: string[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      statements.push(db.getExecutor().compileQuery(node, queryId).sql);
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
  return {
    db: db.withPlugin(recorder),
    take: () => {
      const taken = statements;
      statements = [];
      return taken;
    },
  };
}

describeEachDialect('attempt limits', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;
  const login = (email: string, password: string, remoteAddress = freshIp()) =>
    api().inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress });
  const signUp = (email: string, remoteAddress = freshIp(), app: FastifyInstance = api()) =>
    app.inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD }, remoteAddress });
  const askReset = (email: string, remoteAddress = freshIp(), app: FastifyInstance = api()) =>
    app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email }, remoteAddress });
  const changePassword = (user: SignedIn, currentPassword: string) =>
    api().inject({ method: 'POST', url: '/auth/password', headers: user.headers, payload: { currentPassword, newPassword: NEW_PASSWORD } });
  const changeAddress = (user: SignedIn, email: string, displayName?: string) =>
    api().inject({
      method: 'PATCH',
      url: '/account/profile',
      headers: user.headers,
      payload: { email, ...(displayName === undefined ? {} : { displayName }) },
    });
  const counterRows = (kind: CounterKind, who: string) =>
    db()
      .selectFrom('rate_limit_counters')
      .select('hits')
      .where('key', '=', counterKey(TEST_PRIVACY.tools, kind, who))
      .execute();

  it('never counts a successful login: one source signs in more often than any limit allows failures', async () => {
    const ana = await signIn(api(), db());
    const ip = freshIp();
    const times = Math.max(LIMITS.loginFailuresPerIp.max, LIMITS.loginFailuresPerAddress.max) + 1;
    for (let attempt = 0; attempt < times; attempt++) expect((await login(ana.email, TEST_PASSWORD, ip)).statusCode).toBe(200);
    expect(await counterRows('login:ip', ip)).toEqual([{ hits: 0 }]);
    expect(await counterRows('login:email', ana.email)).toEqual([{ hits: 0 }]);
    // Failures still count from there: one short of the limit leaves the owner in.
    for (let attempt = 1; attempt < LIMITS.loginFailuresPerIp.max; attempt++) expect((await login(ana.email, WRONG, ip)).statusCode).toBe(401);
    expect((await login(ana.email, TEST_PASSWORD, ip)).statusCode).toBe(200);
  });

  it('blocks a source after its failures, before the account: the owner still signs in from elsewhere', async () => {
    const ana = await signIn(api(), db());
    const attacker = freshIp();
    for (let attempt = 0; attempt < LIMITS.loginFailuresPerIp.max; attempt++) expect((await login(ana.email, WRONG, attacker)).statusCode).toBe(401);
    // Blocked: even the right password from there, and any other address; refused attempts are not counted.
    expectRetryAfter(await login(ana.email, TEST_PASSWORD, attacker), LIMITS.loginFailuresPerIp.windowSeconds);
    for (let attempt = 0; attempt < 5; attempt++) expectRetryAfter(await login(ana.email, WRONG, attacker), LIMITS.loginFailuresPerIp.windowSeconds);
    expectRetryAfter(await login(uniqueEmail('spray'), WRONG, attacker), LIMITS.loginFailuresPerIp.windowSeconds);
    expect(await counterRows('login:email', ana.email)).toEqual([{ hits: LIMITS.loginFailuresPerIp.max }]);
    expect((await login(ana.email, TEST_PASSWORD)).statusCode).toBe(200);
    const throttled = await db().selectFrom('audit_events').select('detail').where('action', '=', 'auth.login_throttled').execute();
    expect(throttled.map((row) => row.detail)).toContainEqual({ ip: attacker });
  });

  it('locks an address against guesses from many sources, the same for an unknown one, and the reset link lifts it', async () => {
    const ana = await signIn(api(), db());
    const nobody = uniqueEmail('nobody');
    for (let attempt = 0; attempt < LIMITS.loginFailuresPerAddress.max; attempt++) {
      expect((await login(ana.email, WRONG)).statusCode).toBe(401);
      expect((await login(nobody, WRONG)).statusCode).toBe(401);
    }
    const locked = await login(ana.email, TEST_PASSWORD);
    const lockedUnknown = await login(nobody, TEST_PASSWORD);
    expectRetryAfter(locked, LIMITS.loginFailuresPerAddress.windowSeconds);
    expect(locked.body).toBe(lockedUnknown.body);
    expect(locked.cookies).toEqual([]);
    // Another address is unaffected.
    const bob = await signIn(api(), db());
    expect((await login(bob.email, TEST_PASSWORD)).statusCode).toBe(200);

    expect((await askReset(ana.email)).statusCode).toBe(202);
    const token = new URL(linkPath((await latestMail(db(), ana.email, 'password_reset')).body_text), 'http://x').searchParams.get('token');
    const confirm = await api().inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, password: NEW_PASSWORD } });
    expect(confirm.statusCode).toBe(204);
    expect(await counterRows('login:email', ana.email)).toEqual([]);
    expect((await login(ana.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('limits sign-ups per address (a new link for a pending one too), with the same answer for a registered one', async () => {
    const fresh = uniqueEmail('fresh');
    const active = (await signIn(api(), db())).email;
    for (const email of [fresh, active]) {
      // signIn's own sign-up was the first for the active address.
      const already = email === active ? 1 : 0;
      for (let attempt = already; attempt < LIMITS.signupPerAddress.max; attempt++) expect((await signUp(email)).statusCode).toBe(202);
      expectRetryAfter(await signUp(email), LIMITS.signupPerAddress.windowSeconds);
      expect(await mailsTo(db(), email)).toHaveLength(LIMITS.signupPerAddress.max);
    }
    expect((await signUp(fresh.toUpperCase())).body).toBe((await signUp(active)).body);
  });

  it('limits sign-ups from one source across addresses; another source still signs up', async () => {
    const ip = freshIp();
    for (let attempt = 0; attempt < LIMITS.signupPerIp.max; attempt++) expect((await signUp(uniqueEmail('bulk'), ip)).statusCode).toBe(202);
    const refused = uniqueEmail('bulk');
    expectRetryAfter(await signUp(refused, ip), LIMITS.signupPerIp.windowSeconds);
    expect(await db().selectFrom('accounts').select('id').where('email_hash', '=', emailHash(TEST_VAULT, refused)).execute()).toEqual([]);
    expect((await signUp(refused)).statusCode).toBe(202);
  });

  it('limits changes of address per account and mails to one address; a refused change changes nothing', async () => {
    const user = await signIn(api(), db());
    const targets = Array.from({ length: LIMITS.emailChangePerAccount.max }, () => uniqueEmail('moved'));
    for (const email of targets) expect((await changeAddress(user, email)).json()).toEqual({ emailPending: true });
    const refused = uniqueEmail('moved');
    expectRetryAfter(await changeAddress(user, refused, 'Renamed'), LIMITS.emailChangePerAccount.windowSeconds);
    expect(await openedAccount(db(), user.accountId)).toEqual({ email: user.email, display_name: null });
    expect(await mailsTo(db(), refused)).toEqual([]);

    // An address already mailed as often as sign-up allows gets no more links from another account's change either.
    const mailedOften = uniqueEmail('often');
    for (let attempt = 0; attempt < LIMITS.signupPerAddress.max; attempt++) expect((await signUp(mailedOften)).statusCode).toBe(202);
    expectRetryAfter(await changeAddress(await signIn(api(), db()), mailedOften), LIMITS.signupPerAddress.windowSeconds);
  });

  it('sends Retry-After with the 429 of every route that declares one', async () => {
    const ana = await signIn(api(), db());
    const exhaust = async (limit: { max: number }, attempt: () => Promise<LightMyRequestResponse>) => {
      for (let n = 0; n < limit.max; n++) await attempt();
      return attempt();
    };
    const ip = freshIp();
    const triggers: Record<string, () => Promise<[LightMyRequestResponse, number]>> = {
      'POST /auth/signup': async () => [await exhaust(LIMITS.signupPerIp, () => signUp(uniqueEmail('retry'), ip)), LIMITS.signupPerIp.windowSeconds],
      'POST /auth/login': async () => [await exhaust(LIMITS.loginFailuresPerIp, () => login(ana.email, WRONG, ip)), LIMITS.loginFailuresPerIp.windowSeconds],
      'POST /auth/password-reset': async () => [await exhaust(LIMITS.resetPerAddress, () => askReset(ana.email)), LIMITS.resetPerAddress.windowSeconds],
      'POST /auth/password': async () => [await exhaust(LIMITS.reauthPerAccount, () => changePassword(ana, WRONG)), LIMITS.reauthPerAccount.windowSeconds],
      'PATCH /account/profile': async () => [
        await exhaust(LIMITS.emailChangePerAccount, () => changeAddress(ana, uniqueEmail('moved'))),
        LIMITS.emailChangePerAccount.windowSeconds,
      ],
      'POST /privacy/deletion': async () => [
        await api().inject({ method: 'POST', url: '/privacy/deletion', headers: ana.headers, payload: { password: TEST_PASSWORD } }),
        LIMITS.reauthPerAccount.windowSeconds,
      ],
    };
    const doc = (await api().inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const declaring = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) =>
        operation.responses['429'] === undefined ? [] : [[`${method.toUpperCase()} ${path}`, operation.responses['429']] as const],
      ),
    );
    expect(declaring.map(([route]) => route).sort()).toEqual(Object.keys(triggers).sort());
    // The document says so too.
    for (const [, limited] of declaring) expect(limited).toMatchObject({ headers: { 'Retry-After': { schema: { type: 'integer' } } } });
    // In this order: the deletion's re-authentication shares the password change's exhausted count.
    for (const [route, trigger] of Object.entries(triggers)) {
      const [response, windowSeconds] = await trigger();
      expect(response.headers['retry-after'], route).toBeDefined();
      expectRetryAfter(response, windowSeconds);
    }
    // The refused deletion deleted nothing.
    expect(await db().selectFrom('accounts').select('status').where('id', '=', ana.accountId).executeTakeFirstOrThrow()).toEqual({ status: 'active' });
  });

  it('keys counters with the privacy key, never a bare hash of the address, and erases them with the account', async () => {
    const user = await signIn(api(), db());
    await login(user.email, WRONG);
    await askReset(user.email);
    await signUp(user.email);
    const bare = createHash('sha256').update(user.email.toLowerCase()).digest('hex');
    expect(await findEverywhere(db(), bare)).toEqual([]);
    expect(await findEverywhere(db(), bare.slice(0, 24))).toEqual([]);
    const keyed = TEST_PRIVACY.tools.deidentify(user.email.toLowerCase());
    expect(await findEverywhere(db(), keyed)).toEqual(['rate_limit_counters.key']);
    expect((await changePassword(user, WRONG)).statusCode).toBe(401);
    expect(await counterRows('reauth:account', user.accountId)).toHaveLength(1);
    expect((await changeAddress(user, uniqueEmail('moved'))).statusCode).toBe(200);
    expect(await counterRows('email-change:account', user.accountId)).toHaveLength(1);

    const deletion = await api().inject({ method: 'POST', url: '/privacy/deletion', headers: user.headers, payload: { password: TEST_PASSWORD } });
    expect(deletion.statusCode).toBe(202);
    expect(await findEverywhere(db(), keyed)).toEqual([]);
    expect(await counterRows('reauth:account', user.accountId)).toEqual([]);
    expect(await counterRows('email-change:account', user.accountId)).toEqual([]);
    expect(await findEverywhere(db(), bare)).toEqual([]);
  });

  it('runs the same statements for a known and an unknown address (reset, sign-up, failed login)', async () => {
    const recorder = recording(db());
    const app = await testApi(database(), { db: recorder.db });
    try {
      const active = await signIn(app, db());
      const pending = uniqueEmail('pending');
      expect((await signUp(pending, freshIp(), app)).statusCode).toBe(202);
      const disabled = await signIn(app, db());
      await db().updateTable('accounts').set({ status: 'disabled' }).where('id', '=', disabled.accountId).execute();
      const run = async (request: () => Promise<LightMyRequestResponse>) => {
        recorder.take();
        const response = await request();
        return { status: response.statusCode, body: response.body, statements: recorder.take() };
      };

      const resets = [
        await run(() => askReset(active.email, freshIp(), app)),
        await run(() => askReset(pending, freshIp(), app)),
        await run(() => askReset(disabled.email, freshIp(), app)),
        await run(() => askReset(uniqueEmail('nobody'), freshIp(), app)),
      ];
      expect(resets[0]!.statements.length).toBeGreaterThan(3);
      for (const other of resets.slice(1)) expect(other).toEqual(resets[0]);
      expect((await latestMail(db(), active.email, 'password_reset')).kind).toBe('password_reset');

      const signUps = [
        await run(() => signUp(uniqueEmail('new'), freshIp(), app)),
        await run(() => signUp(pending, freshIp(), app)),
        await run(() => signUp(active.email, freshIp(), app)),
      ];
      expect(signUps[0]!.statements.length).toBeGreaterThan(3);
      for (const other of signUps.slice(1)) expect(other).toEqual(signUps[0]);

      const failures = [
        await run(() => app.inject({ method: 'POST', url: '/auth/login', payload: { email: active.email, password: WRONG }, remoteAddress: freshIp() })),
        await run(() =>
          app.inject({ method: 'POST', url: '/auth/login', payload: { email: uniqueEmail('nobody'), password: WRONG }, remoteAddress: freshIp() }),
        ),
      ];
      expect(failures[1]).toEqual(failures[0]);
    } finally {
      await app.close();
    }
  });
});
