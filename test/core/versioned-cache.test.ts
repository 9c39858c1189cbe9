// The cache that lets the registrar skip the credential lookup, against the real change counter and its triggers.
import { expect, it } from 'vitest';
import { setStaticSipCredential } from '../../core/accounts/sip-credentials.ts';
import { VersionedCache } from '../../core/versioned-cache.ts';
import { connectDatabase } from '../../db/connect.ts';
import { describeEachDialect } from '../harness/databases.ts';

const POLL_MS = 1000;

describeEachDialect('versioned cache', (database) => {
  function counted() {
    let loads = 0;
    return {
      load: (value: string) => async () => {
        loads++;
        return value;
      },
      loads: () => loads,
    };
  }

  async function version(): Promise<number> {
    const row = await database().db.selectFrom('cache_versions').select('version').where('topic', '=', 'sip-credentials').executeTakeFirstOrThrow();
    return row.version;
  }

  it('reads through until a poll has seen the counter, then serves from memory for twice the poll interval', async () => {
    const cache = new VersionedCache<string, string>({ topic: 'sip-credentials', pollMs: POLL_MS, maxEntries: 10 });
    const { load, loads } = counted();
    await cache.get('a', 0, load('1'));
    await cache.get('a', 0, load('1'));
    expect(loads()).toBe(2);
    await cache.poll(database().db, 10_000);
    expect(await cache.get('a', 10_000, load('1'))).toBe('1');
    expect(await cache.get('a', 10_000 + 2 * POLL_MS, load('2'))).toBe('1');
    expect(loads()).toBe(3);
    // No poll since: no longer trusted.
    expect(await cache.get('a', 10_001 + 2 * POLL_MS, load('3'))).toBe('3');
    expect(loads()).toBe(4);
  });

  it('is emptied by the next poll after a change to who may authenticate, and only then', async () => {
    const { db } = database();
    const account = await db.insertInto('accounts').values({ email: 'cache@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    const cache = new VersionedCache<string, string>({ topic: 'sip-credentials', pollMs: POLL_MS, maxEntries: 10 });
    let key = 0;
    const fill = async () => {
      key++;
      await cache.poll(db, 0);
      await cache.get(String(key), 0, async () => 'cached');
    };
    const served = () => cache.get(String(key), 0, async () => 'fresh');

    const changes: [string, () => Promise<unknown>][] = [
      ['a static credential set', () => setStaticSipCredential(db, { accountId: account.id, username: 'cachephone', realm: 'r', password: 'p1' })],
      ['its password changed', () => setStaticSipCredential(db, { accountId: account.id, username: 'cachephone', realm: 'r', password: 'p2' })],
      ['the account disabled', () => db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', account.id).execute()],
      ['the credential removed', () => db.deleteFrom('sip_credentials').where('username', '=', 'cachephone').execute()],
      ['the account deleted', () => db.deleteFrom('accounts').where('id', '=', account.id).execute()],
    ];
    for (const [change, make] of changes) {
      await fill();
      const before = await version();
      await make();
      expect(await version(), change).toBeGreaterThan(before);
      expect(await served(), `${change}, before the poll`).toBe('cached');
      await cache.poll(db, 0);
      expect(await served(), `${change}, after the poll`).toBe('fresh');
    }

    // What does not change credentials leaves the cache alone.
    const other = await db.insertInto('accounts').values({ email: 'other@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    await fill();
    await db.updateTable('accounts').set({ email: 'renamed@example.org' }).where('id', '=', other.id).execute();
    await cache.poll(db, 0);
    expect(await served()).toBe('cached');
  });

  it('keeps nothing a load read before a change it finished after, nor what keep() refuses', async () => {
    const { db } = database();
    const cache = new VersionedCache<string, string>({ topic: 'sip-credentials', pollMs: POLL_MS, maxEntries: 10 });
    await cache.poll(db, 0);
    let finish: (value: string) => void = () => undefined;
    const slow = cache.get('a', 0, () => new Promise<string>((resolve) => (finish = resolve)));
    await db
      .updateTable('cache_versions')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('topic', '=', 'sip-credentials')
      .execute();
    await cache.poll(db, 0);
    finish('read before the change');
    expect(await slow).toBe('read before the change');
    expect(await cache.get('a', 0, async () => 'fresh')).toBe('fresh');

    await cache.get('unknown', 0, async () => 'no such user', { keep: () => false });
    expect(await cache.get('unknown', 0, async () => 'looked up again')).toBe('looked up again');
  });

  it('serves nothing once a poll fails, and holds at most maxEntries', async () => {
    const { db } = database();
    const cache = new VersionedCache<string, string>({ topic: 'sip-credentials', pollMs: POLL_MS, maxEntries: 2 });
    await cache.poll(db, 0);
    for (const key of ['a', 'b', 'c']) await cache.get(key, 0, async () => `${key}-cached`);
    expect(cache.size).toBe(2);
    expect(await cache.get('a', 0, async () => 'a-fresh')).toBe('a-fresh');
    expect(await cache.get('c', 0, async () => 'c-fresh')).toBe('c-cached');

    const unreachable = connectDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      await expect(cache.poll(unreachable.db, 0)).rejects.toThrow();
    } finally {
      await unreachable.close();
    }
    expect(cache.size).toBe(0);
    expect(await cache.get('c', 0, async () => 'c-fresh')).toBe('c-fresh');
    expect(cache.size).toBe(0);
  });
});
