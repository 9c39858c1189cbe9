/** GET /privacy/summary: the signed-in user's data by kind, with counts, retention dates and any pause of deletion. */
import { expect, it } from 'vitest';
import { signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

describeEachDialect('GET /privacy/summary', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;
  const summary = (headers: Record<string, string> = {}) => api().inject({ method: 'GET', url: '/privacy/summary', headers });

  it('needs a session: 401 problem JSON', async () => {
    const response = await summary();
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 401 });
  });

  it('lists each kind with its count and the next change as an ISO date', async () => {
    const user = await signIn(api(), db());
    await db()
      .insertInto('cdrs')
      .values({
        sip_call_id: 'summary-api',
        direction: 'outbound',
        account_id: user.accountId,
        from_number: '+14155550102',
        to_number: '+442079460102',
        phase: 'ended',
        node_id: 'n',
      })
      .execute();
    const response = await summary(user.headers);
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      kinds: { kind: string; count: number; kept: string; holds: string[]; nextChange: { on: string; change: string } | null }[];
      deletionPausedBy: string[];
    }>();
    expect(body.kinds.map((entry) => entry.kind)).toEqual(['account', 'calls', 'payments', 'devices', 'mail', 'security']);
    const calls = body.kinds.find((entry) => entry.kind === 'calls');
    expect(calls).toMatchObject({ count: 1, kept: expect.stringContaining('90 days'), nextChange: { change: 'deidentify' } });
    const days = (new Date(calls?.nextChange?.on ?? '').getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThanOrEqual(90);
    expect(body.deletionPausedBy).toEqual([]);
  });

  it('says a legal obligation pauses deletion while a hold is active, without the operator reason', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const placed = await api().inject({
      method: 'POST',
      url: `/admin/accounts/${user.accountId}/legal-holds`,
      headers: operator.headers,
      payload: { reason: 'subpoena 4411 naming the user' },
    });
    expect(placed.statusCode).toBeLessThan(300);
    const response = await summary(user.headers);
    expect(response.json()).toMatchObject({ deletionPausedBy: ['legal_obligation'] });
    expect(response.body).not.toContain('4411');
    expect(response.body).not.toContain(operator.accountId);
  });
});
