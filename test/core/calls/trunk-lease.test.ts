// The registration lease (core/calls/trunk-lease.ts) on every dialect: one node at a time registers a trunk.
import { beforeAll, expect, it } from 'vitest';
import { releaseTrunkLease, takeTrunkLease, trunkLeaseHolders } from '../../../core/calls/trunk-lease.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const TTL = 60_000;

describeEachDialect('trunk registration lease', (database) => {
  let trunkId: number;

  beforeAll(async () => {
    const row = await database()
      .db.insertInto('trunks')
      .values({ name: 'lease-carrier', inbound_sources: ['192.0.2.1'], register_uri: 'sip:192.0.2.1', register_username: 'acct' })
      .returning('id')
      .executeTakeFirstOrThrow();
    trunkId = row.id;
  });

  it('lets one node hold a trunk until its lease expires or is released, then another', async () => {
    const { db } = database();
    expect(await takeTrunkLease(db, trunkId, 'sig-a', at(0), TTL)).toBe(true);
    // The other node cannot take it while it runs; the holder renews it.
    expect(await takeTrunkLease(db, trunkId, 'sig-b', at(10), TTL)).toBe(false);
    expect(await takeTrunkLease(db, trunkId, 'sig-a', at(30), TTL)).toBe(true);
    expect(await takeTrunkLease(db, trunkId, 'sig-b', at(80), TTL)).toBe(false);
    expect(await trunkLeaseHolders(db, at(80))).toEqual(new Map([[trunkId, 'sig-a']]));
    // Not renewed: it runs out (30 s + 60 s) and the other node takes it over; the first cannot take it back.
    expect(await takeTrunkLease(db, trunkId, 'sig-b', at(90), TTL)).toBe(true);
    expect(await takeTrunkLease(db, trunkId, 'sig-a', at(91), TTL)).toBe(false);
    // Released by a node that does not hold it: nothing happens. By its holder: free at once.
    await releaseTrunkLease(db, trunkId, 'sig-a');
    expect(await trunkLeaseHolders(db, at(92))).toEqual(new Map([[trunkId, 'sig-b']]));
    await releaseTrunkLease(db, trunkId, 'sig-b');
    expect(await trunkLeaseHolders(db, at(92))).toEqual(new Map());
    expect(await takeTrunkLease(db, trunkId, 'sig-a', at(93), TTL)).toBe(true);
  });

  it('gives a trunk to exactly one of two nodes racing for it', async () => {
    const { db } = database();
    const other = await db
      .insertInto('trunks')
      .values({ name: 'race-carrier', inbound_sources: ['192.0.2.2'], register_uri: 'sip:192.0.2.2', register_username: 'acct' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const won = await Promise.all([takeTrunkLease(db, other.id, 'sig-a', at(0), TTL), takeTrunkLease(db, other.id, 'sig-b', at(0), TTL)]);
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});
