// The node's cache of routing reads, against the real `routing` counter and its triggers on every dialect.
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { blockPrefix } from '../../../core/abuse/blocked-prefixes.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { Directory } from '../../../core/calls/directory.ts';
import type { E164 } from '../../../core/numbers.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const UK = '+442079460958' as E164;
const FR = '+33142685300' as E164;

describeEachDialect('routing directory', (database) => {
  let accountId: string;
  let operatorId: string;

  beforeAll(async () => {
    const { db } = database();
    const [account, operator] = await db
      .insertInto('accounts')
      .values([
        { email: 'directory@example.org', status: 'active' },
        { email: 'operator@example.org', status: 'active' },
      ])
      .returning('id')
      .execute();
    accountId = account!.id;
    operatorId = operator!.id;
  });

  async function rate(prefix: string, effectiveFrom: string, pricePerMinute: string) {
    await createRate(database().db, toRateInput({ prefix, effectiveFrom, pricePerMinute, firstIncrement: 1, nextIncrement: 1 }));
  }

  it('answers from memory until an operator changes trunks, numbers, rates or blocked prefixes, then within a poll', async () => {
    const { db } = database();
    const directory = new Directory(db, { pollMs: 60_000 });
    const now = Date.now();
    await directory.poll(now);
    const read = async () => ({
      trunks: (await directory.enabledTrunks(now)).map((trunk) => trunk.name),
      owner: await directory.didOwner(UK, now),
      callerId: await directory.firstDidOf(accountId, now),
      price: (await directory.rate(UK, new Date(now)))?.price_per_minute ?? null,
      blocked: (await directory.blockingPrefix(UK, now))?.prefix ?? null,
    });
    expect(await read()).toEqual({ trunks: [], owner: null, callerId: undefined, price: null, blocked: null });
    await rate('44', '2000-01-01T00:00:00Z', '0.10');

    await db.insertInto('trunks').values({ name: 'carrier', priority: 1, outbound_uri: 'sip:192.0.2.1', inbound_sources: [] }).execute();
    await db.insertInto('dids').values({ e164: UK, account_id: accountId }).execute();
    await blockPrefix(db, { prefix: '4420', reason: 'test' }, operatorId);
    // Served from memory: the reads above are what this node knows until its next poll.
    expect(await read()).toEqual({ trunks: [], owner: null, callerId: undefined, price: null, blocked: null });
    await directory.poll(now);
    expect(await read()).toEqual({ trunks: ['carrier'], owner: accountId, callerId: UK, price: 100_000, blocked: '4420' });

    await db.updateTable('trunks').set({ enabled: false }).execute();
    await db.updateTable('dids').set({ account_id: null }).execute();
    await sql`delete from blocked_prefixes`.execute(db);
    await directory.poll(now);
    expect(await read()).toEqual({ trunks: [], owner: null, callerId: undefined, price: 100_000, blocked: null });
  });

  it('switches to a scheduled rate at its time, and finds a destination callable from the moment its first rate starts', async () => {
    const { db } = database();
    await rate('33', '2030-01-01T00:00:00Z', '0.20');
    await rate('331', '2030-06-01T00:00:00Z', '0.30');
    const directory = new Directory(db, { pollMs: 60_000 });
    const at = (iso: string) => new Date(iso);
    const price = async (when: string) => {
      await directory.poll(at(when).getTime());
      return (await directory.rate(FR, at(when)))?.price_per_minute ?? null;
    };
    expect(await price('2029-12-31T23:59:59Z')).toBeNull();
    expect(await price('2030-01-01T00:00:00Z')).toBe(200_000);
    expect(await price('2030-05-31T23:59:59Z')).toBe(200_000);
    expect(await price('2030-06-01T00:00:00Z')).toBe(300_000);
  });

  it('reads through when its counter cannot be read', async () => {
    const { db } = database();
    const directory = new Directory(db, { pollMs: 60_000 });
    await directory.poll(0);
    expect(await directory.enabledTrunks(0)).toEqual([]);
    await db.updateTable('trunks').set({ enabled: true }).execute();
    // A counter that moved but was never read: still the old answer, until the poll fails and it reads through.
    expect(await directory.enabledTrunks(0)).toEqual([]);
    await sql`alter table cache_versions rename to cache_versions_away`.execute(db);
    try {
      await expect(directory.poll(0)).rejects.toThrow();
      expect((await directory.enabledTrunks(0)).map((trunk) => trunk.name)).toEqual(['carrier']);
    } finally {
      await sql`alter table cache_versions_away rename to cache_versions`.execute(db);
    }
  });
});
