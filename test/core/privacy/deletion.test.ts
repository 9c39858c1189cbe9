import { expect, it } from 'vitest';
import { TEST_PASSWORD, openedAccount, signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { findEverywhere } from '../../harness/privacy.ts';

describeEachDialect('account deletion', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;

  /** A user with a failed login from a distinctive address on record (an IP is personal data too). */
  async function userWithHistory(ip: string) {
    const user = await signIn(api(), db());
    await api().inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'not my password!' }, remoteAddress: ip });
    await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { displayName: 'Ana Example' } });
    return user;
  }
  const auditActions = async (accountId: string) =>
    (await db().selectFrom('audit_events').select('action').where('subject_account_id', '=', accountId).execute()).map((row) => row.action);
  const deleteAccount = (headers: Record<string, string>, password: string) =>
    api().inject({ method: 'POST', url: '/privacy/deletion', headers, payload: { password } });

  /** Telephony history: a number the user owns, a call to another number, a registered phone. */
  async function withPhoneHistory(accountId: string, own: string, dialled: string) {
    await db().insertInto('dids').values({ e164: own, account_id: accountId }).execute();
    await db()
      .insertInto('cdrs')
      .values({
        sip_call_id: `call-${own}`,
        direction: 'outbound',
        account_id: accountId,
        from_number: own,
        to_number: dialled,
        phase: 'ended',
        node_id: 'n',
        billable_seconds: 60,
        cost: 600_000,
        browser_mos: 431,
        browser_rtt_ms: 42,
        browser_jitter_ms: 3,
        browser_loss_permille: 7,
      })
      .execute();
    await db()
      .insertInto('registrations')
      .values({
        account_id: accountId,
        username: `phone${own}`,
        contact: `sip:${own}@198.51.100.7`,
        expires_at: new Date(Date.now() + 600_000),
        transport: 'udp',
        source_address: '198.51.100.7',
        source_port: 5060,
        drachtio_server: 'd',
        call_id: 'c',
        cseq: 1,
      })
      .execute();
  }

  it('erases phone numbers too: the call record stays for billing with its numbers replaced by keyed hashes', async () => {
    const user = await signIn(api(), db());
    await withPhoneHistory(user.accountId, '+14155550177', '+442079460958');
    for (const number of ['+14155550177', '+442079460958', '198.51.100.7']) expect(await findEverywhere(db(), number)).not.toEqual([]);
    expect((await deleteAccount(user.headers, TEST_PASSWORD)).statusCode).toBe(202);
    for (const number of ['+442079460958', '198.51.100.7']) expect(await findEverywhere(db(), number), number).toEqual([]);
    // The number the user held goes back to the operator's stock, linked to nobody.
    expect(await findEverywhere(db(), '+14155550177')).toEqual(['dids.e164']);
    expect(await db().selectFrom('dids').select('account_id').where('e164', '=', '+14155550177').executeTakeFirstOrThrow()).toEqual({ account_id: null });
    const cdr = await db().selectFrom('cdrs').selectAll().where('account_id', '=', user.accountId).executeTakeFirstOrThrow();
    // How the call sounded is not about the person: the de-identified record keeps it.
    expect(cdr).toMatchObject({ billable_seconds: 60, cost: 600_000, browser_mos: 431, browser_rtt_ms: 42, browser_jitter_ms: 3, browser_loss_permille: 7 });
    expect(cdr.to_number).toMatch(/^deid:/);
  });

  it('pauses erasure while a card dispute is open', async () => {
    const user = await signIn(api(), db());
    await withPhoneHistory(user.accountId, '+14155550178', '+442079460959');
    await db().insertInto('account_holds').values({ account_id: user.accountId, kind: 'dispute', reference: 'dp_open' }).execute();
    expect((await deleteAccount(user.headers, TEST_PASSWORD)).statusCode).toBe(202);
    expect((await db().selectFrom('accounts').select('status').where('id', '=', user.accountId).executeTakeFirstOrThrow()).status).toBe('disabled');
    expect(await findEverywhere(db(), '+442079460959')).toContain('cdrs.to_number');
  });

  it('refuses without the right password, changing nothing', async () => {
    const user = await signIn(api(), db());
    const wrong = await deleteAccount(user.headers, 'not my password!');
    expect(wrong.statusCode).toBe(401);
    expect((await api().inject({ method: 'GET', url: '/auth/me', headers: user.headers })).statusCode).toBe(200);
    const noCsrf = await api().inject({
      method: 'POST',
      url: '/privacy/deletion',
      headers: { cookie: user.headers.cookie },
      payload: { password: TEST_PASSWORD },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect((await db().selectFrom('accounts').select('status').where('id', '=', user.accountId).executeTakeFirstOrThrow()).status).toBe('active');
  });

  it('disables, signs out and erases at once: the address and IP are found nowhere afterwards', async () => {
    const ip = '203.0.113.91';
    const user = await userWithHistory(ip);
    // Held sealed (core/privacy/vault.ts), so no search of the tables finds it even before: the app reads it.
    expect((await openedAccount(db(), user.accountId))?.email).toBe(user.email);
    expect(await findEverywhere(db(), ip)).not.toEqual([]);
    const response = await deleteAccount(user.headers, TEST_PASSWORD);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ status: 'erased' });
    expect(response.cookies.find((cookie) => cookie.name === 'dialo_session')?.value).toBe('');

    expect((await api().inject({ method: 'GET', url: '/auth/me', headers: user.headers })).statusCode).toBe(401);
    expect((await api().inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: TEST_PASSWORD } })).statusCode).toBe(401);
    expect(await findEverywhere(db(), user.email)).toEqual([]);
    expect(await findEverywhere(db(), ip)).toEqual([]);
    expect(await findEverywhere(db(), 'Ana Example')).toEqual([]);

    const account = await db().selectFrom('accounts').selectAll().where('id', '=', user.accountId).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ email: null, password_hash: null, display_name: null, status: 'deleted' });
    // The audit trail stays, de-identified: the failed login keeps a keyed hash of the address instead.
    const failed = await db()
      .selectFrom('audit_events')
      .select('detail')
      .where('subject_account_id', '=', user.accountId)
      .where('action', '=', 'auth.login_failed')
      .executeTakeFirstOrThrow();
    expect(failed.detail.ip).toMatch(/^anon:[0-9a-f]{24}$/);
    expect(await auditActions(user.accountId)).toEqual(expect.arrayContaining(['privacy.deletion_requested', 'privacy.erased']));
    // The address is free again for a new account.
    const again = await api().inject({ method: 'POST', url: '/auth/signup', payload: { email: user.email, password: TEST_PASSWORD } });
    expect(again.statusCode).toBe(202);
  });

  it('pauses erasure under a legal hold (account disabled at once), and erases once the hold is lifted', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const ip = '203.0.113.92';
    const user = await userWithHistory(ip);
    const hold = await api().inject({
      method: 'POST',
      url: `/admin/accounts/${user.accountId}/legal-holds`,
      headers: operator.headers,
      payload: { reason: 'court order 2026/118' },
    });
    expect(hold.statusCode).toBe(201);
    const holdId = hold.json<{ id: string }>().id;

    const response = await deleteAccount(user.headers, TEST_PASSWORD);
    expect(response.json()).toEqual({ status: 'paused' });
    expect((await api().inject({ method: 'GET', url: '/auth/me', headers: user.headers })).statusCode).toBe(401);
    expect((await api().inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: TEST_PASSWORD } })).statusCode).toBe(401);
    expect((await openedAccount(db(), user.accountId))?.email).toBe(user.email); // held, not erased

    // The operator can still produce the held data for the legal request; that export is audited.
    const exported = await api().inject({
      method: 'GET',
      url: `/admin/accounts/${user.accountId}/export?reason=court%20order%202026%2F118`,
      headers: operator.headers,
    });
    expect(exported.statusCode).toBe(200);
    expect(exported.json().data.accounts[0].email).toBe(user.email);
    expect(exported.json().data.legal_holds[0].reason).toBe('court order 2026/118');

    // A retention run while held changes nothing.
    await api().inject({ method: 'POST', url: '/admin/retention/run', headers: operator.headers });
    expect((await openedAccount(db(), user.accountId))?.email).toBe(user.email);

    const lift = await api().inject({ method: 'POST', url: `/admin/accounts/${user.accountId}/legal-holds/${holdId}/lift`, headers: operator.headers });
    expect(lift.statusCode).toBe(204);
    const run = await api().inject({ method: 'POST', url: '/admin/retention/run', headers: operator.headers });
    expect(run.json().counts.erased_accounts).toBe(1);
    expect(await findEverywhere(db(), user.email)).toEqual([]);
    expect(await findEverywhere(db(), ip)).toEqual([]);
    expect(await auditActions(user.accountId)).toEqual(
      expect.arrayContaining(['admin.legal_hold_placed', 'privacy.erasure_paused', 'admin.export', 'admin.legal_hold_lifted', 'privacy.erased']),
    );
  });

  it('lets only operators place or lift holds and export other accounts', async () => {
    const user = await signIn(api(), db());
    const other = await signIn(api(), db());
    const attempts = [
      api().inject({ method: 'POST', url: `/admin/accounts/${other.accountId}/legal-holds`, headers: user.headers, payload: { reason: 'i want to' } }),
      api().inject({ method: 'GET', url: `/admin/accounts/${other.accountId}/export?reason=curious`, headers: user.headers }),
      api().inject({ method: 'POST', url: '/admin/retention/run', headers: user.headers }),
    ];
    for (const response of await Promise.all(attempts)) expect(response.statusCode).toBe(403);
    const operator = await signIn(api(), db(), { role: 'operator' });
    const missing = await api().inject({
      method: 'POST',
      url: `/admin/accounts/00000000-0000-4000-8000-000000000000/legal-holds`,
      headers: operator.headers,
      payload: { reason: 'case 1' },
    });
    expect(missing.statusCode).toBe(404);
  });
});
