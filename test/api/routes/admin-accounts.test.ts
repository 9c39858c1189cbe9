// Operators list accounts (the ids the other admin routes take), addresses opened, or find one by its address; nobody else can.
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

  it('finds the one account of a whole address, in any case, and nothing for a part of one', async () => {
    const { db } = database();
    const wanted = await signIn(api(), db);
    await signIn(api(), db);
    const operator = await signIn(api(), db, { role: 'operator' });
    const find = async (email: string, who = operator) => {
      const response = await api().inject({ method: 'GET', url: `/admin/accounts?email=${encodeURIComponent(email)}`, headers: who.headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ accounts: { id: string; email: string }[] }>().accounts;
    };
    expect(await find(wanted.email)).toEqual([{ id: wanted.accountId, email: wanted.email, role: 'user', status: 'active', createdAt: expect.any(String) }]);
    expect((await find(` ${wanted.email.toUpperCase()} `)).map((account) => account.id)).toEqual([wanted.accountId]);
    expect(await find(wanted.email.slice(0, 8))).toEqual([]);
    expect(await find('nobody@example.org')).toEqual([]);
    const refused = await api().inject({ method: 'GET', url: `/admin/accounts?email=${encodeURIComponent(wanted.email)}`, headers: wanted.headers });
    expect(refused.statusCode).toBe(403);
    expect((await api().inject({ method: 'GET', url: `/admin/accounts?email=${'a'.repeat(255)}`, headers: operator.headers })).statusCode).toBe(400);
  });
});
