// Shared trunk state (core/calls/trunk-state.ts) on every dialect: what one signaling node writes, every process reads.
import { beforeEach, expect, it } from 'vitest';
import { initialHealth, type TrunkHealth } from '../../../core/calls/trunk-health.ts';
import { releaseTrunkLease, takeTrunkLease } from '../../../core/calls/trunk-lease.ts';
import { afterRegister, initialRegistration } from '../../../core/calls/trunk-registration.ts';
import {
  deleteRegistrationState,
  failedRegistrations,
  forgetTrunkHealth,
  healthWriteDue,
  HEALTH_REFRESH_PINGS,
  mergedHealth,
  registrationRecord,
  sameRecord,
  sharedTrunkStates,
  writeRegistrationState,
  writeTrunkHealth,
} from '../../../core/calls/trunk-state.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const LEASE_MS = 60_000;
const INTERVAL_MS = 1000;
const BACKOFF = { retryMinMs: 5000, retryMaxMs: 60_000 };
const health = (state: TrunkHealth['state'], now: Date): TrunkHealth => ({ ...initialHealth(now), state });

describeEachDialect('shared trunk state', (database) => {
  let trunkId: number;

  beforeEach(async () => {
    const { db } = database();
    await db.deleteFrom('trunks').where('name', '=', 'state-carrier').execute();
    const row = await db
      .insertInto('trunks')
      .values({ name: 'state-carrier', inbound_sources: ['192.0.2.9'], register_uri: 'sip:192.0.2.9', register_username: 'acct' })
      .returning('id')
      .executeTakeFirstOrThrow();
    trunkId = row.id;
  });

  it("believes a registration's state only while the node that wrote it holds the lease", async () => {
    const { db } = database();
    expect(await takeTrunkLease(db, trunkId, 'sig-a', at(0), LEASE_MS)).toBe(true);
    const failed = afterRegister(initialRegistration(at(0)), { status: 403 }, BACKOFF, at(1));
    await writeRegistrationState(db, trunkId, 'sig-a', registrationRecord(failed, 'refused'), at(1));
    expect(await failedRegistrations(db, at(2))).toEqual(new Set([trunkId]));
    expect((await sharedTrunkStates(db, at(2))).registrations.get(trunkId)).toEqual({
      heldBy: 'sig-a',
      record: {
        state: 'failed',
        since: at(1),
        last_status: 403,
        last_reason: 'refused',
        registered_until: null,
        retry_at: at(6),
        updatedAt: at(1),
      },
      stale: false,
    });

    // The lease runs out unrenewed (sig-a stopped): its word no longer skips the trunk, and reads as stale.
    expect(await failedRegistrations(db, at(61))).toEqual(new Set());
    expect((await sharedTrunkStates(db, at(61))).registrations.get(trunkId)).toEqual({ heldBy: undefined, record: undefined, stale: true });

    // sig-b takes the trunk over: sig-a's row says nothing of it until sig-b writes its own, which replaces it.
    expect(await takeTrunkLease(db, trunkId, 'sig-b', at(62), LEASE_MS)).toBe(true);
    expect(await failedRegistrations(db, at(62))).toEqual(new Set());
    const registered = afterRegister(initialRegistration(at(62)), { status: 200, grantedSeconds: 120 }, BACKOFF, at(63));
    await writeRegistrationState(db, trunkId, 'sig-b', registrationRecord(registered, null), at(63));
    expect((await sharedTrunkStates(db, at(64))).registrations.get(trunkId)).toMatchObject({
      heldBy: 'sig-b',
      record: { state: 'registered', last_status: 200, registered_until: at(183), retry_at: null },
      stale: false,
    });

    // A release takes the state away with the lease.
    await deleteRegistrationState(db, trunkId, 'sig-b');
    await releaseTrunkLease(db, trunkId, 'sig-b');
    expect((await sharedTrunkStates(db, at(65))).registrations.has(trunkId)).toBe(false);
  });

  it("keeps each node's health apart, stale once its writer stops, and gone when the trunk is", async () => {
    const { db } = database();
    await writeTrunkHealth(db, trunkId, 'sig-a', health('up', at(0)), at(0), INTERVAL_MS);
    await writeTrunkHealth(db, trunkId, 'sig-b', health('down', at(0)), at(0), INTERVAL_MS);
    // sig-a writes again later (a change): one row per node, replaced.
    await writeTrunkHealth(db, trunkId, 'sig-a', health('down', at(5)), at(5), INTERVAL_MS);
    await writeTrunkHealth(db, trunkId, 'sig-a', health('up', at(6)), at(6), INTERVAL_MS);

    const fresh = (await sharedTrunkStates(db, at(7))).health.get(trunkId)!;
    expect(fresh.map((view) => [view.nodeId, view.state, view.stale])).toEqual([
      ['sig-a', 'up', false],
      ['sig-b', 'down', false],
    ]);
    expect(mergedHealth(fresh)).toMatchObject({ nodeId: 'sig-b', state: 'down' });

    // sig-b wrote at 0 s and never again: past its refresh period and slack it is unknown, not its last "down".
    const staleAt = at((HEALTH_REFRESH_PINGS + 2) * (INTERVAL_MS / 1000));
    const later = (await sharedTrunkStates(db, staleAt)).health.get(trunkId)!;
    expect(later.map((view) => [view.nodeId, view.state, view.stale])).toEqual([
      ['sig-a', 'up', false],
      ['sig-b', 'unknown', true],
    ]);
    expect(mergedHealth(later)).toMatchObject({ nodeId: 'sig-a', state: 'up' });

    await forgetTrunkHealth(db, 'sig-b', [trunkId]);
    expect((await sharedTrunkStates(db, at(7))).health.get(trunkId)?.map((view) => view.nodeId)).toEqual(['sig-a']);
    await db.deleteFrom('trunks').where('id', '=', trunkId).execute();
    expect((await sharedTrunkStates(db, at(7))).health.has(trunkId)).toBe(false);
  });
});

it('writes health on a change or when a refresh is due, not on every ping', () => {
  const up = health('up', T0);
  expect(healthWriteDue(up, up, undefined, 0, INTERVAL_MS)).toBe(true);
  expect(healthWriteDue(up, up, 0, (HEALTH_REFRESH_PINGS - 1) * INTERVAL_MS, INTERVAL_MS)).toBe(false);
  expect(healthWriteDue(up, health('down', T0), 0, INTERVAL_MS, INTERVAL_MS)).toBe(true);
  expect(healthWriteDue(up, up, 0, HEALTH_REFRESH_PINGS * INTERVAL_MS, INTERVAL_MS)).toBe(true);
});

it('tells a changed registration record from the same one', () => {
  const failed = afterRegister(initialRegistration(T0), { status: 403 }, BACKOFF, T0);
  expect(sameRecord(undefined, registrationRecord(failed, 'refused'))).toBe(false);
  expect(sameRecord(registrationRecord(failed, 'refused'), registrationRecord(failed, 'refused'))).toBe(true);
  const again = afterRegister(failed, { status: 403 }, BACKOFF, at(5));
  expect(sameRecord(registrationRecord(failed, 'refused'), registrationRecord(again, 'refused'))).toBe(false);
});
