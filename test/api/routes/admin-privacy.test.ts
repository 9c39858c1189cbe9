// Legal holds as the operator console uses them: placed, listed with their reasons opened, lifted; each change audited.
import { expect, it, vi } from 'vitest';
import { signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

interface Hold {
  id: string;
  reason: string | null;
  placedBy: string | null;
  placedAt: string;
  liftedBy: string | null;
  liftedAt: string | null;
}

describeEachDialect('admin legal holds API', (database) => {
  const api = useTestApi(database);

  it('lists an account’s holds, newest first, active and lifted, to operators only', async () => {
    const { db } = database();
    const user = await signIn(api(), db);
    const other = await signIn(api(), db);
    const operator = await signIn(api(), db, { role: 'operator' });
    const holdsOf = (accountId: string, who = operator) =>
      api().inject({ method: 'GET', url: `/admin/accounts/${accountId}/legal-holds`, headers: who.headers });
    const place = async (accountId: string, reason: string) => {
      const placed = await api().inject({ method: 'POST', url: `/admin/accounts/${accountId}/legal-holds`, headers: operator.headers, payload: { reason } });
      expect(placed.statusCode, placed.body).toBe(201);
      return placed.json<{ id: string }>().id;
    };

    expect((await holdsOf(user.accountId)).json()).toEqual({ holds: [] });
    const first = await place(user.accountId, 'court order 2026/118');
    const second = await place(user.accountId, 'subpoena 4411');
    await place(other.accountId, 'another case');
    const lifted = await api().inject({ method: 'POST', url: `/admin/accounts/${user.accountId}/legal-holds/${first}/lift`, headers: operator.headers });
    expect(lifted.statusCode, lifted.body).toBe(204);

    const listed = await holdsOf(user.accountId);
    expect(listed.statusCode, listed.body).toBe(200);
    const { holds } = listed.json<{ holds: Hold[] }>();
    expect(holds.map((hold) => hold.id).sort()).toEqual([first, second].sort());
    expect(holds.find((hold) => hold.id === second)).toEqual({
      id: second,
      reason: 'subpoena 4411',
      placedBy: operator.accountId,
      placedAt: expect.any(String),
      liftedBy: null,
      liftedAt: null,
    });
    expect(holds.find((hold) => hold.id === first)).toMatchObject({
      reason: 'court order 2026/118',
      liftedBy: operator.accountId,
      liftedAt: expect.any(String),
    });
    const placedAt = holds.map((hold) => hold.placedAt);
    expect(placedAt).toEqual([...placedAt].sort().reverse());
    // The reason is sealed in the table, opened only for the operator's answer.
    const stored = await db.selectFrom('legal_holds').select('reason').where('id', '=', second).executeTakeFirstOrThrow();
    expect(stored.reason).not.toContain('4411');

    const audited = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_account_id'])
      .where('subject_account_id', '=', user.accountId)
      .where('action', 'like', 'admin.legal_hold_%')
      .orderBy('id')
      .execute();
    expect(audited).toEqual([
      { action: 'admin.legal_hold_placed', actor_account_id: operator.accountId },
      { action: 'admin.legal_hold_placed', actor_account_id: operator.accountId },
      { action: 'admin.legal_hold_lifted', actor_account_id: operator.accountId },
    ]);

    expect((await holdsOf(user.accountId, user)).statusCode).toBe(403);
    expect((await api().inject({ method: 'GET', url: `/admin/accounts/${user.accountId}/legal-holds` })).statusCode).toBe(401);
    const unknown = await holdsOf('00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ detail: 'no such account' });
    expect((await holdsOf('not-a-uuid')).statusCode).toBe(400);
  });
});
