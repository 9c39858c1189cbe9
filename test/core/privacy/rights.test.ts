/**
 * The privacy policy's promises (shared seed, sections 1, 5, 6, 7), each through the HTTP API:
 * access and export, correction, the contact, and notice of material changes.
 */
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { TEST_PASSWORD, TEST_PRIVACY, latestMail, logIn, mailsTo, signIn, uniqueEmail, useTestApi, verificationRequest } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

describeEachDialect('privacy rights', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;
  const get = (url: string, headers: Record<string, string> = {}) => api().inject({ method: 'GET', url, headers });

  it('§5 access/export: one JSON bundle of the account, its sessions, mail and events', async () => {
    const user = await signIn(api(), db());
    const response = await get('/privacy/export', user.headers);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe('attachment; filename="dialo-export.json"');
    const bundle = response.json();
    expect(bundle).toMatchObject({ format: 'dialo-export/1', accountId: user.accountId });
    expect(bundle.data.accounts).toEqual([expect.objectContaining({ id: user.accountId, email: user.email, status: 'active' })]);
    expect(bundle.data.accounts[0]).not.toHaveProperty('password_hash');
    expect(bundle.data.sessions).toHaveLength(1);
    expect(bundle.data.email_outbox).toEqual([expect.objectContaining({ kind: 'verify_email', to_address: user.email })]);
    expect(bundle.data.audit_events.map((event: { action: string }) => event.action)).toEqual(
      expect.arrayContaining(['account.created', 'account.verified', 'auth.login']),
    );
    expect(bundle.withheld).toHaveProperty('legal_holds');
    expect(Object.keys(bundle.contents)).toContain('accounts');
    const audited = await db()
      .selectFrom('audit_events')
      .select('detail')
      .where('subject_account_id', '=', user.accountId)
      .where('action', '=', 'privacy.export')
      .executeTakeFirstOrThrow();
    expect(audited.detail).toMatchObject({ rows: { accounts: 1, sessions: 1 } });
  });

  it('§5 portable format: any table of the bundle as CSV', async () => {
    const user = await signIn(api(), db());
    await logIn(api(), user.email);
    const response = await get('/privacy/export/csv/sessions', user.headers);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0] ?? {})).toEqual(['id', 'created_at', 'expires_at']);
    expect(new Date(rows[0]?.expires_at ?? '').getTime()).toBeGreaterThan(Date.now());
    const events = parse((await get('/privacy/export/csv/audit_events', user.headers)).body, { columns: true }) as Record<string, string>[];
    expect(events.map((row) => row.action)).toContain('auth.login');
    expect((await get('/privacy/export/csv/legal_holds', user.headers)).statusCode).toBe(404);
    expect((await get('/privacy/export/csv/no_such_table', user.headers)).statusCode).toBe(404);
    expect((await get('/privacy/export/csv/..%2Faccounts', user.headers)).statusCode).toBe(400);
  });

  it('§5 export and deletion need a session', async () => {
    expect((await get('/privacy/export')).statusCode).toBe(401);
    expect((await get('/privacy/export/csv/sessions')).statusCode).toBe(401);
    expect((await api().inject({ method: 'POST', url: '/privacy/deletion', payload: { password: TEST_PASSWORD } })).statusCode).toBe(401);
  });

  it('§5 correction: the name at once; a new address only after its link is opened', async () => {
    const user = await signIn(api(), db());
    const name = await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { displayName: '  Ana Example ' } });
    expect(name.json()).toEqual({ emailPending: false });
    const newEmail = uniqueEmail('moved');
    const change = await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { email: newEmail } });
    expect(change.json()).toEqual({ emailPending: true });
    const before = (await get('/privacy/export', user.headers)).json().data.accounts[0];
    expect(before).toMatchObject({ email: user.email, display_name: 'Ana Example' });

    const link = verificationRequest((await latestMail(db(), newEmail, 'verify_email')).body_text);
    expect((await get(link)).statusCode).toBe(200);
    expect((await get('/auth/me', user.headers)).json()).toMatchObject({ email: newEmail });
    expect((await api().inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: TEST_PASSWORD } })).statusCode).toBe(401);
    expect((await api().inject({ method: 'POST', url: '/auth/login', payload: { email: newEmail, password: TEST_PASSWORD } })).statusCode).toBe(200);
    const actions = await db().selectFrom('audit_events').select('action').where('subject_account_id', '=', user.accountId).execute();
    expect(actions.map((row) => row.action)).toEqual(expect.arrayContaining(['privacy.correction', 'account.email_changed']));
  });

  it('§5 correction to an address that is taken answers the same and mails nothing to it', async () => {
    const user = await signIn(api(), db());
    const other = await signIn(api(), db());
    const mailsBefore = await mailsTo(db(), other.email);
    const change = await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { email: other.email } });
    expect(change.statusCode).toBe(200);
    expect(change.json()).toEqual({ emailPending: true });
    const mailsAfter = await mailsTo(db(), other.email);
    expect(mailsAfter).toHaveLength(mailsBefore.length);
  });

  it('§6 contact: the policy in force is served with the operator contact from config', async () => {
    const response = await get('/privacy/policy');
    expect(response.statusCode).toBe(200);
    const policy = response.json();
    expect(policy).toMatchObject({ version: '2025-10', material: false, contact: { email: TEST_PRIVACY.operatorContact }, acknowledgementRequired: null });
    expect(policy.text).toMatch(/^Privacy Policy\nEffective date: October 2025/);
    expect(policy.text).toContain("We don't sell your personal information.");
  });

  it('§7 updates: a material version mails every active user and asks them to acknowledge it', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const pending = uniqueEmail('pending');
    await api().inject({ method: 'POST', url: '/auth/signup', payload: { email: pending, password: TEST_PASSWORD } });
    // Accounts that exist before the version is published; a later sign-up accepts the version in force.
    await db()
      .updateTable('accounts')
      .set({ created_at: sql`now() - interval '1 minute'` })
      .execute();
    const active = await db().selectFrom('accounts').select(db().fn.countAll<number>().as('n')).where('status', '=', 'active').executeTakeFirstOrThrow();

    const version = `2026-${Date.now()}`;
    const publish = await api().inject({
      method: 'POST',
      url: '/admin/policy',
      headers: operator.headers,
      payload: { version, text: 'New text.', material: true },
    });
    expect(publish.statusCode).toBe(201);
    expect(publish.json()).toEqual({ version, notified: Number(active.n) });
    expect((await latestMail(db(), user.email, 'policy_notice')).body_text).toContain(version);
    await expect(latestMail(db(), pending, 'policy_notice')).rejects.toThrow(); // not active: not notified

    expect((await get('/privacy/policy', user.headers)).json()).toMatchObject({ version, material: true, acknowledgementRequired: { version } });
    const ack = await api().inject({ method: 'POST', url: '/privacy/policy/acknowledge', headers: user.headers, payload: { version } });
    expect(ack.statusCode).toBe(204);
    expect((await get('/privacy/policy', user.headers)).json().acknowledgementRequired).toBeNull();
    const exported = (await get('/privacy/export', user.headers)).json();
    expect(exported.data.policy_acknowledgements).toEqual([expect.objectContaining({ version })]);

    const newcomer = await signIn(api(), db());
    expect((await get('/privacy/policy', newcomer.headers)).json().acknowledgementRequired).toBeNull();
    const again = await api().inject({
      method: 'POST',
      url: '/admin/policy',
      headers: operator.headers,
      payload: { version, text: 'Other.', material: false },
    });
    expect(again.statusCode).toBe(409);
    const unknown = await api().inject({ method: 'POST', url: '/privacy/policy/acknowledge', headers: user.headers, payload: { version: 'nope' } });
    expect(unknown.statusCode).toBe(404);
  });

  it('§7 a non-material version mails nobody; users cannot publish', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const before = await db().selectFrom('email_outbox').select('id').where('kind', '=', 'policy_notice').execute();
    const publish = await api().inject({
      method: 'POST',
      url: '/admin/policy',
      headers: operator.headers,
      payload: { version: `typo-${Date.now()}`, text: 'Fixed a typo.', material: false },
    });
    expect(publish.json()).toMatchObject({ notified: 0 });
    const after = await db().selectFrom('email_outbox').select('id').where('kind', '=', 'policy_notice').execute();
    expect(after).toHaveLength(before.length);
    const forbidden = await api().inject({
      method: 'POST',
      url: '/admin/policy',
      headers: user.headers,
      payload: { version: 'mine', text: 'x', material: true },
    });
    expect(forbidden.statusCode).toBe(403);
  });
});
