// Desk phones provisioned through the admin API: the password once, HA1s only, audited, and the registrar's view.
import { expect, it, vi } from 'vitest';
import { findSipCredential, ha1 } from '../../../core/accounts/sip-credentials.ts';
import { loadConfig } from '../../../config.ts';
import { signIn, testApi, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const sip = loadConfig({ SIP_SECRET: 'd'.repeat(40), SIP_REALM: 'desk.test' }).sip;

describeEachDialect('admin sip-credentials API', (database) => {
  const api = useTestApi(database, { sip });

  it('creates a desk phone whose password is shown once and works at the registrar until removed', async () => {
    const { db } = database();
    const operator = await signIn(api(), db, { role: 'operator' });
    const owner = await signIn(api(), db);
    const as = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      api().inject({ method, url, headers: operator.headers, ...(payload === undefined ? {} : { payload }) });

    const created = await as('POST', '/admin/sip-credentials', { accountId: owner.accountId, username: 'frontdesk' });
    expect(created.statusCode, created.body).toBe(201);
    const phone = created.json<{ username: string; realm: string; accountId: string; password: string }>();
    expect(phone).toMatchObject({ username: 'frontdesk', realm: 'desk.test', accountId: owner.accountId });
    expect(phone.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(created.headers['cache-control']).toBe('no-store');

    const stored = await db.selectFrom('sip_credentials').selectAll().where('username', '=', 'frontdesk').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(phone.password);
    expect(stored.ha1_md5).toBe(ha1('MD5', 'frontdesk', 'desk.test', phone.password));
    const options = { secret: 'unused', realm: 'desk.test', now: new Date() };
    expect(await findSipCredential(db, options, 'frontdesk')).toMatchObject({ kind: 'known', accountId: owner.accountId });

    const listed = await as('GET', `/admin/sip-credentials?accountId=${owner.accountId}`);
    expect(listed.json()).toEqual({ credentials: [{ accountId: owner.accountId, username: 'frontdesk', realm: 'desk.test', createdAt: expect.any(String) }] });
    expect(listed.body).not.toContain(phone.password);

    expect((await as('POST', '/admin/sip-credentials', { accountId: owner.accountId, username: 'frontdesk' })).statusCode).toBe(409);
    expect((await as('DELETE', '/admin/sip-credentials/frontdesk')).statusCode).toBe(204);
    expect(await findSipCredential(db, options, 'frontdesk')).toEqual({ kind: 'unknown' });
    expect((await as('DELETE', '/admin/sip-credentials/frontdesk')).statusCode).toBe(404);

    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_account_id', 'subject_account_id', 'detail'])
      .where('action', 'like', 'sip.desk_phone_%')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'sip.desk_phone_added', actor_account_id: operator.accountId, subject_account_id: owner.accountId, detail: { username: 'frontdesk' } },
      { action: 'sip.desk_phone_removed', actor_account_id: operator.accountId, subject_account_id: owner.accountId, detail: { username: 'frontdesk' } },
    ]);
    expect(JSON.stringify(audit)).not.toContain(phone.password);
  });

  it('refuses non-operators, bad input and unknown accounts', async () => {
    const { db } = database();
    const user = await signIn(api(), db);
    const operator = await signIn(api(), db, { role: 'operator' });
    const post = (who: typeof user, payload: object) => api().inject({ method: 'POST', url: '/admin/sip-credentials', headers: who.headers, payload });
    expect((await post(user, { accountId: user.accountId, username: 'mine' })).statusCode).toBe(403);
    expect((await api().inject({ method: 'GET', url: '/admin/sip-credentials', headers: user.headers })).statusCode).toBe(403);
    const bad = await post(operator, { accountId: user.accountId, username: 'has space' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400 });
    expect((await post(operator, { accountId: '00000000-0000-4000-8000-000000000000', username: 'nobodys' })).statusCode).toBe(404);
  });

  it('answers 503 where SIP is not configured', async () => {
    const app = await testApi(database());
    try {
      const operator = await signIn(app, database().db, { role: 'operator' });
      const response = await app.inject({
        method: 'POST',
        url: '/admin/sip-credentials',
        headers: operator.headers,
        payload: { accountId: operator.accountId, username: 'desk9' },
      });
      expect(response.statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});
