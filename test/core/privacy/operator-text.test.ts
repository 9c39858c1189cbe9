/**
 * An operator's free text about an account goes with the account: whatever an operator typed into any field about a
 * user (adjustment and dispute reasons in the ledger, legal-hold reasons, suspension and lift reasons, export reasons
 * in the audit trail) is erased once the user's deletion runs, while the amounts stay for billing.
 */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { appendEntry, balanceMismatches } from '../../../core/billing/ledger.ts';
import { micros } from '../../../core/money.ts';
import { TEST_PASSWORD, signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { findEverywhere } from '../../harness/privacy.ts';

describeEachDialect('operator free text about an erased account', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;

  it('is found nowhere once the deletion (paused by a legal hold, resumed by retention) has run; the amounts stay', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const [name, mobile] = ['Ana Example', '+447700900123'];
    const inject = (method: 'GET' | 'POST', url: string, payload?: object) =>
      api().inject({ method, url, headers: operator.headers, ...(payload ? { payload } : {}) });
    const naming = `${name} <${user.email}>, mobile ${mobile}`;
    const admin = `/admin/accounts/${user.accountId}`;

    expect((await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { displayName: name } })).statusCode).toBe(200);
    expect((await inject('POST', `${admin}/adjustments`, { amount: '5', reason: `goodwill for ${naming}` })).statusCode).toBe(201);
    expect((await inject('POST', `${admin}/outbound-suspension`, { reason: `suspended: ${naming}` })).statusCode).toBe(201);
    expect((await inject('POST', `${admin}/outbound-suspension/lift`, { reason: `lifted: ${naming}` })).statusCode).toBe(200);
    expect((await inject('POST', `${admin}/outbound-suspension`, { reason: `again: ${naming}` })).statusCode).toBe(201);
    const hold = await inject('POST', `${admin}/legal-holds`, { reason: `court order about ${naming}` });
    expect(hold.statusCode).toBe(201);
    expect((await inject('GET', `${admin}/export?reason=${encodeURIComponent(`request about ${naming}`)}`)).statusCode).toBe(200);
    // A card dispute's reason comes from the payment provider: free text in the ledger all the same.
    await appendEntry(db(), { accountId: user.accountId, kind: 'dispute', amount: micros(-2_000_000), reference: 'dp_named', reason: `dispute by ${naming}` });

    // An operator's words are stored sealed under the account's key (only the provider's dispute reason is plain);
    // the operator reads them through the admin routes.
    for (const needle of [user.email, name, mobile]) {
      const found = await findEverywhere(db(), needle);
      for (const column of ['legal_holds.reason', 'account_call_limits.suspension_reason', 'audit_events.detail']) expect(found, needle).not.toContain(column);
    }
    const stored = await db().selectFrom('ledger_entries').select(['kind', 'reason']).where('account_id', '=', user.accountId).orderBy('id').execute();
    expect(stored.map((entry) => [entry.kind, entry.reason?.includes(mobile)])).toEqual([
      ['adjustment', false],
      ['dispute', true],
    ]);
    expect((await inject('GET', `${admin}/call-limits`)).json().suspension.reason).toBe(`again: ${naming}`);
    const exported = (await inject('GET', `${admin}/export?reason=audit`)).json();
    expect(exported.data.legal_holds.map((row: { reason: string }) => row.reason)).toEqual([`court order about ${naming}`]);
    expect(exported.data.ledger_entries.map((row: { reason: string }) => row.reason)).toEqual([`goodwill for ${naming}`, `dispute by ${naming}`]);
    expect(exported.data.audit_events.map((row: { detail: { reason?: string } }) => row.detail.reason)).toEqual(
      expect.arrayContaining([`suspended: ${naming}`, `lifted: ${naming}`, `request about ${naming}`]),
    );
    const amounts = async () =>
      (await db().selectFrom('ledger_entries').select(['kind', 'amount', 'reference']).where('account_id', '=', user.accountId).orderBy('id').execute()).map(
        (entry) => ({ ...entry, amount: Number(entry.amount) }),
      );
    const before = await amounts();

    expect((await api().inject({ method: 'POST', url: '/privacy/deletion', headers: user.headers, payload: { password: TEST_PASSWORD } })).json()).toEqual({
      status: 'paused',
    });
    expect((await inject('POST', `${admin}/legal-holds/${hold.json<{ id: string }>().id}/lift`)).statusCode).toBe(204);
    expect((await inject('POST', '/admin/retention/run')).json().counts.erased_accounts).toBe(1);

    for (const needle of [user.email, name, mobile]) expect(await findEverywhere(db(), needle), needle).toEqual([]);
    // Billing keeps every entry and amount; only the words went.
    expect(await amounts()).toEqual(before);
    expect(before.map((entry) => entry.amount)).toEqual([5_000_000, -2_000_000]);
    expect(await balanceMismatches(db())).toEqual([]);
    const reasons = await db().selectFrom('ledger_entries').select('reason').where('account_id', '=', user.accountId).execute();
    expect(reasons).toEqual([{ reason: null }, { reason: null }]);
    expect(
      await db().selectFrom('legal_holds').select(['reason', 'lifted_at']).where('account_id', '=', user.accountId).executeTakeFirstOrThrow(),
    ).toMatchObject({
      reason: null,
      lifted_at: expect.any(Date),
    });
    // The audit trail still proves what operators did and when; the reasons they typed are cleared.
    const audited = await db()
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_account_id', '=', user.accountId)
      .where('actor_account_id', '=', operator.accountId)
      .orderBy('id')
      .execute();
    expect(audited.map((event) => event.action)).toEqual(
      expect.arrayContaining(['billing.adjustment', 'abuse.outbound_suspended', 'abuse.suspension_lifted', 'admin.legal_hold_placed', 'admin.export']),
    );
    for (const event of audited) if ('reason' in event.detail) expect(event.detail.reason, event.action).toBeNull();
    expect(audited.find((event) => event.action === 'billing.adjustment')?.detail).toMatchObject({ amount: 5_000_000 });
  });

  it('keeps the ledger append-only otherwise: erasure may clear a reason and nothing else, and only when it says so', async () => {
    const user = await signIn(api(), db());
    const entry = await appendEntry(db(), { accountId: user.accountId, kind: 'adjustment', amount: micros(1_000_000), reason: 'kept words' });
    const attempt = (change: 'amount' | 'reason' | 'other reason' | 'delete', erasing: boolean) =>
      db()
        .transaction()
        .execute(async (trx) => {
          if (erasing) await sql`select set_config('dialo.erasing_reasons', 'on', true)`.execute(trx);
          const row = trx.updateTable('ledger_entries').where('id', '=', entry!.id);
          if (change === 'amount') await row.set({ amount: 0 }).execute();
          if (change === 'reason') await row.set({ reason: null }).execute();
          if (change === 'other reason') await row.set({ reason: 'rewritten' }).execute();
          if (change === 'delete') await trx.deleteFrom('ledger_entries').where('id', '=', entry!.id).execute();
        });
    await expect(attempt('reason', false)).rejects.toThrow('append-only');
    await expect(attempt('amount', true)).rejects.toThrow('append-only');
    await expect(attempt('other reason', true)).rejects.toThrow('append-only');
    await expect(attempt('delete', true)).rejects.toThrow('append-only');
    // The setting lasts for its own transaction only.
    await expect(db().updateTable('ledger_entries').set({ reason: null }).where('id', '=', entry!.id).execute()).rejects.toThrow('append-only');
    expect(await db().selectFrom('ledger_entries').select(['amount', 'reason']).where('id', '=', entry!.id).executeTakeFirstOrThrow()).toEqual({
      amount: 1_000_000,
      reason: 'kept words',
    });
    await attempt('reason', true);
    expect(await db().selectFrom('ledger_entries').select(['amount', 'reason']).where('id', '=', entry!.id).executeTakeFirstOrThrow()).toEqual({
      amount: 1_000_000,
      reason: null,
    });
  });
});
