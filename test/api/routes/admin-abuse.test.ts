import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { checkCallRules } from '../../../core/abuse/call-rules.ts';
import type { E164 } from '../../../core/numbers.ts';
import { signIn, TEST_VAULT, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const abuse = loadConfig({
  BILLING_MAX_CONCURRENT_CALLS: '3',
  ABUSE_CALLS_PER_MINUTE: '20',
  ABUSE_DAILY_SPEND_CAP: '100',
  ABUSE_NEW_ACCOUNT_CALLS_PER_MINUTE: '5',
  ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS: '1',
  ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP: '10',
}).abuse;

describeEachDialect('operator abuse API', (database) => {
  const api = useTestApi(database, { abuse });
  const db = () => database().db;

  async function auditOf(action: string, subject?: string) {
    let query = db().selectFrom('audit_events').select(['actor_account_id', 'detail']).where('action', '=', action);
    if (subject !== undefined) query = query.where('subject_account_id', '=', subject);
    return query.orderBy('id').execute();
  }

  it("shows an account's effective limits (new: the tighter defaults) and sets its own over them, audited", async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const url = `/admin/accounts/${user.accountId}/call-limits`;
    const shown = await api().inject({ method: 'GET', url, headers: operator.headers });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual({
      effective: { maxConcurrentCalls: 1, callsPerMinute: 5, dailySpendCap: '10.00', allowedCountries: ['*'] },
      overrides: { maxConcurrentCalls: null, callsPerMinute: null, dailySpendCap: null, allowedCountries: null },
      newAccount: true,
      suspension: null,
    });

    const set = await api().inject({
      method: 'PUT',
      url,
      headers: operator.headers,
      payload: { maxConcurrentCalls: 10, callsPerMinute: null, dailySpendCap: '250.5', allowedCountries: ['US', 'CA'] },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().effective).toEqual({ maxConcurrentCalls: 10, callsPerMinute: 5, dailySpendCap: '250.50', allowedCountries: ['US', 'CA'] });
    expect(set.json().overrides).toEqual({ maxConcurrentCalls: 10, callsPerMinute: null, dailySpendCap: '250.50', allowedCountries: ['US', 'CA'] });
    expect(await auditOf('abuse.limits_set', user.accountId)).toEqual([
      {
        actor_account_id: operator.accountId,
        detail: { maxConcurrentCalls: 10, callsPerMinute: null, dailySpendCap: 250_500_000, allowedCountries: ['US', 'CA'] },
      },
    ]);
    // The calls see them.
    const verdict = await checkCallRules(db(), abuse, user.accountId, '+442079460958' as E164, new Date());
    expect(verdict).toMatchObject({ ok: false, refusal: { reason: 'destination-not-allowed' } });
  });

  it('refuses bad limits and unknown accounts without writing', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const url = `/admin/accounts/${user.accountId}/call-limits`;
    const good = { maxConcurrentCalls: null, callsPerMinute: null, dailySpendCap: null, allowedCountries: null };
    for (const bad of [
      { ...good, maxConcurrentCalls: 0 },
      { ...good, dailySpendCap: '-1' },
      { ...good, allowedCountries: ['usa'] },
      { ...good, allowedCountries: ['US', 'US'] },
      { maxConcurrentCalls: 2 },
    ]) {
      const response = await api().inject({ method: 'PUT', url, headers: operator.headers, payload: bad });
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const unknown = await api().inject({ method: 'PUT', url: `/admin/accounts/${randomUUID()}/call-limits`, headers: operator.headers, payload: good });
    expect(unknown.statusCode).toBe(404);
    expect(await db().selectFrom('account_call_limits').select('account_id').where('account_id', '=', user.accountId).execute()).toEqual([]);
  });

  it('suspends and lifts outbound calling, each audited with the operator and why; twice is a conflict', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const base = `/admin/accounts/${user.accountId}/outbound-suspension`;
    const suspended = await api().inject({ method: 'POST', url: base, headers: operator.headers, payload: { reason: 'card dispute, calls to JM' } });
    expect(suspended.statusCode, suspended.body).toBe(201);
    expect(suspended.json().suspension).toMatchObject({ reason: 'card dispute, calls to JM', by: operator.accountId });
    expect((await api().inject({ method: 'POST', url: base, headers: operator.headers, payload: { reason: 'again' } })).statusCode).toBe(409);
    expect(await checkCallRules(db(), abuse, user.accountId, '+14155550100' as E164, new Date())).toMatchObject({
      ok: false,
      refusal: { reason: 'account-suspended' },
    });

    const lifted = await api().inject({ method: 'POST', url: `${base}/lift`, headers: operator.headers, payload: { reason: 'customer verified by phone' } });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(lifted.json().suspension).toBeNull();
    expect((await api().inject({ method: 'POST', url: `${base}/lift`, headers: operator.headers, payload: { reason: 'again' } })).statusCode).toBe(409);
    expect((await checkCallRules(db(), abuse, user.accountId, '+14155550100' as E164, new Date())).ok).toBe(true);
    // The operator's words may name the person: the event holds them sealed under the account's key.
    const events = await auditOf('abuse.suspension_lifted', user.accountId);
    expect(events).toEqual([{ actor_account_id: operator.accountId, detail: { reason: expect.not.stringContaining('customer') } }]);
    expect(await TEST_VAULT.open(db(), String(events[0]!.detail.reason))).toBe('customer verified by phone');
    const stored = await db().selectFrom('account_call_limits').select('suspension_reason').where('account_id', '=', user.accountId).executeTakeFirstOrThrow();
    expect(stored.suspension_reason).toBeNull();
  });

  it('manages blocked prefixes: add (conflict when present), list, remove (404 when absent), audited', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const added = await api().inject({
      method: 'POST',
      url: '/admin/blocked-prefixes',
      headers: operator.headers,
      payload: { prefix: '881', reason: 'satellite, fraud range' },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ prefix: '881', reason: 'satellite, fraud range' });
    expect(
      (await api().inject({ method: 'POST', url: '/admin/blocked-prefixes', headers: operator.headers, payload: { prefix: '881', reason: 'twice' } }))
        .statusCode,
    ).toBe(409);
    expect(
      (await api().inject({ method: 'POST', url: '/admin/blocked-prefixes', headers: operator.headers, payload: { prefix: '+881', reason: 'plus' } }))
        .statusCode,
    ).toBe(400);
    const listed = await api().inject({ method: 'GET', url: '/admin/blocked-prefixes', headers: operator.headers });
    expect(listed.json().prefixes).toEqual([expect.objectContaining({ prefix: '881' })]);
    const unrestricted = { ...abuse, defaults: { ...abuse.defaults, allowedCountries: ['*'] } };
    expect(await checkCallRules(db(), unrestricted, user.accountId, '+881612345678' as E164, new Date())).toMatchObject({
      ok: false,
      refusal: { reason: 'destination-blocked', detail: 'prefix 881' },
    });

    expect((await api().inject({ method: 'DELETE', url: '/admin/blocked-prefixes/881', headers: operator.headers })).statusCode).toBe(204);
    expect((await api().inject({ method: 'DELETE', url: '/admin/blocked-prefixes/881', headers: operator.headers })).statusCode).toBe(404);
    expect((await auditOf('abuse.prefix_blocked')).map((row) => row.detail)).toEqual([{ prefix: '881', reason: 'satellite, fraud range' }]);
    expect(await auditOf('abuse.prefix_unblocked')).toEqual([{ actor_account_id: operator.accountId, detail: { prefix: '881' } }]);
  });

  it('is for operators only', async () => {
    const user = await signIn(api(), db());
    for (const [method, url, payload] of [
      ['GET', `/admin/accounts/${user.accountId}/call-limits`, undefined],
      ['POST', '/admin/blocked-prefixes', { prefix: '881', reason: 'mine now' }],
      ['POST', `/admin/accounts/${user.accountId}/outbound-suspension/lift`, { reason: 'mine now' }],
    ] as const) {
      const response = await api().inject({ method, url, headers: user.headers, payload });
      expect(response.statusCode, url).toBe(403);
    }
  });
});
