// Operators list accounts (the ids the other admin routes take), addresses opened; nobody else can.
import { expect, it, vi } from 'vitest';
import { signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

describeEachDialect('admin accounts API', (database) => {
  const api = useTestApi(database);

  it('lists accounts oldest first, a page at a time, to operators only', async () => {
    const { db } = database();
    const first = await signIn(api(), db);
    const operator = await signIn(api(), db, { role: 'operator' });
    const get = (url: string, who = operator) => api().inject({ method: 'GET', url, headers: who.headers });

    const all = await get('/admin/accounts');
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json<{ accounts: unknown[] }>().accounts).toEqual([
      { id: first.accountId, email: first.email, role: 'user', status: 'active', createdAt: expect.any(String) },
      { id: operator.accountId, email: operator.email, role: 'operator', status: 'active', createdAt: expect.any(String) },
    ]);
    expect(all.json<{ accounts: { id: string }[] }>().accounts.map((account) => account.id)).toEqual([first.accountId, operator.accountId]);
    expect((await get('/admin/accounts?limit=1&offset=1')).json()).toMatchObject({ accounts: [{ id: operator.accountId }] });
    expect((await get('/admin/accounts?limit=0')).statusCode).toBe(400);
    expect((await get('/admin/accounts', first)).statusCode).toBe(403);
  });
});
