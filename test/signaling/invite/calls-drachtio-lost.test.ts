// drachtio-server dies mid-call: the app must notice that the call is gone, end it billed to about the moment of loss
// and settle its hold, instead of billing it until its maximum length on heartbeats. When only the connection drops
// and drachtio-server lives on, the legs it still carries get their BYE once the app is connected again.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, onceAnswered, onceEndedAndCharged, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.ts';
import { sippBinary, startSipp } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('drachtio-server lost mid-call', () => {
  const suite = useCallStack({ CALL_HEARTBEAT_SECONDS: '1' }, (db) =>
    // 6.00 a minute by the second to the UK: 0.10 per started second.
    createRate(db, toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('ends the answered call when the connection drops, billed to the loss, its hold settled', async () => {
    const { db } = suite.database;
    const talker = await caller('tom', 10 * UNIT);
    const answering = await carrier('carrier-answer', 'uas-answer.xml', { timeoutSeconds: 60 });
    // The caller would talk for a minute; its credit would cover 100.
    const talking = await startSipp({
      scenario: 'uac-call-expect-200.xml',
      target: suite.stack.target,
      fields: [talker.fields('+442079460958', 60_000)],
      timeoutSeconds: 90,
    });
    try {
      const answered = await onceAnswered(suite.database, talker.accountId);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const lostAt = Date.now();
      await suite.stack.drachtio.stop();

      const ended = await onceEndedAndCharged(suite.database, answered.id);
      expect(ended).toMatchObject({ ended_by: 'system', hangup_cause: 'signaling-lost' });
      // Billed from answer to the moment the app saw the connection go: seconds, not the minute asked for nor the hold.
      const seconds = Math.ceil((ended.ended_at!.getTime() - ended.answered_at!.getTime()) / 1000);
      expect(ended.billable_seconds).toBe(seconds);
      expect(ended.ended_at!.getTime()).toBeGreaterThanOrEqual(lostAt);
      expect(seconds).toBeLessThan(30);
      expect(ended.cost).toBe(seconds * (UNIT / 10));
      const hold = await db.selectFrom('reservations').selectAll().where('cdr_id', '=', ended.id).executeTakeFirstOrThrow();
      expect(hold).toMatchObject({ status: 'settled', billable_seconds: seconds, charged: ended.cost });
      expect(await balanceOf(db, talker.accountId)).toEqual({ balance: 10 * UNIT - ended.cost!, reserved: 0, available: 10 * UNIT - ended.cost! });
      expect(await balanceMismatches(db)).toEqual([]);
      expect(await suite.stack.metrics.registry.getSingleMetricAsString('dialo_calls_ended_total')).toContain('cause="signaling-lost"');
    } finally {
      talking.stop();
      answering.stop();
    }
  });
});

// Each test stops its drachtio-server: each has a stack of its own.
describe.skipIf(missing)('drachtio-server lost while a call rings', () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '30' }, (db) =>
    createRate(db, toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('fails a call still ringing when the connection drops, its hold released and nothing charged', async () => {
    const { db } = suite.database;
    const ringer = await caller('rhea', 10 * UNIT);
    const ringing = await carrier('carrier-ring', 'uas-ring-no-answer.xml', { timeoutSeconds: 60 });
    const waiting = await startSipp({
      scenario: 'uac-call-expect-200.xml',
      target: suite.stack.target,
      fields: [ringer.fields('+442079460959', 0)],
      timeoutSeconds: 90,
    });
    try {
      await vi.waitFor(
        async () => {
          const hold = await db.selectFrom('reservations').select('status').where('account_id', '=', ringer.accountId).executeTakeFirst();
          if (hold?.status !== 'active') throw new Error('ringing call holds no credit yet');
        },
        { timeout: 10_000 },
      );
      await suite.stack.drachtio.stop();
      const failed = await vi.waitFor(
        async () => {
          const cdr = await db.selectFrom('cdrs').selectAll().where('account_id', '=', ringer.accountId).executeTakeFirstOrThrow();
          if (cdr.ended_at === null) throw new Error('call not closed yet');
          return cdr;
        },
        // Well before the trunk timeout (30 s here) would have failed it.
        { timeout: 10_000 },
      );
      expect(failed).toMatchObject({ phase: 'failed', hangup_cause: 'signaling-lost', answered_at: null, billable_seconds: null });
      expect(await db.selectFrom('reservations').select(['status', 'charged']).where('cdr_id', '=', failed.id).executeTakeFirstOrThrow()).toEqual({
        status: 'released',
        charged: 0,
      });
      expect(await balanceOf(db, ringer.accountId)).toEqual({ balance: 10 * UNIT, reserved: 0, available: 10 * UNIT });
    } finally {
      waiting.stop();
      ringing.stop();
    }
  });
});

describe.skipIf(missing)('the drachtio connection drops while drachtio-server lives on', () => {
  let database: TestDatabase;
  let stack: SignalingStack;
  let relay: TcpProxy | undefined;
  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(
      database,
      { CALLER_ID_DEFAULT: '+14155550199', CALL_HEARTBEAT_SECONDS: '1' },
      { adminRoute: async (admin) => ({ host: '127.0.0.1', port: (relay = await startTcpProxy(admin)).port }) },
    );
    await createRate(
      database.db,
      toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }),
    );
  });
  afterAll(async () => {
    await stack?.stop();
    await relay?.stop();
    await database?.close();
  });
  const { caller, carrier } = callFixtures(
    () => database,
    refreshOf(() => stack),
  );

  it('ends the call billed to the drop, then, reconnected, sends the BYE both legs are owed from their stored dialogs', async () => {
    const { db } = database;
    const talker = await caller('ted', 10 * UNIT);
    // Both ends stay on the line until our side hangs up: each run passes only if a BYE reaches it.
    const answering = await carrier('carrier-answer', 'uas-answer.xml', { timeoutSeconds: 60 });
    const talking = await startSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: stack.target,
      fields: [talker.fields('+442079460958')],
      timeoutSeconds: 60,
    });
    try {
      const answered = await onceAnswered(database, talker.accountId);
      relay!.dropConnections();
      const ended = await onceEndedAndCharged(database, answered.id);
      expect(ended).toMatchObject({ ended_by: 'system', hangup_cause: 'signaling-lost' });
      const callerRun = await talking.done;
      expect(callerRun.code, callerRun.log).toBe(0);
      const carrierRun = await answering.done;
      expect(carrierRun.code, carrierRun.log).toBe(0);
      // Sent, so no longer owed: the handles are cleared once the BYEs are answered.
      await vi.waitFor(
        async () =>
          expect(await db.selectFrom('cdrs').select(['caller_dialog', 'callee_dialog']).where('id', '=', answered.id).executeTakeFirstOrThrow()).toEqual({
            caller_dialog: null,
            callee_dialog: null,
          }),
        { timeout: 5_000 },
      );
      expect(await balanceMismatches(db)).toEqual([]);
    } finally {
      talking.stop();
      answering.stop();
    }
  });
});

describe.skipIf(missing)('drachtio-server restarted mid-call', () => {
  const suite = useCallStack({ CALL_HEARTBEAT_SECONDS: '1' }, (db) =>
    createRate(db, toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('ends the call billed to the loss, then, reconnected to a drachtio-server that knows no dialog, hangs both legs up with BYEs built from the stored dialogs', async () => {
    const talker = await caller('tara', 10 * UNIT);
    // Both ends stay on the line until our side hangs up: each run passes only if a BYE reaches it.
    const answering = await carrier('carrier-answer', 'uas-answer.xml', { timeoutSeconds: 60 });
    const talking = await startSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: suite.stack.target,
      fields: [talker.fields('+442079460958')],
      timeoutSeconds: 60,
    });
    try {
      const answered = await onceAnswered(suite.database, talker.accountId);
      await suite.stack.drachtio.restart();
      expect(await onceEndedAndCharged(suite.database, answered.id)).toMatchObject({ ended_by: 'system', hangup_cause: 'signaling-lost' });
      const callerRun = await talking.done;
      expect(callerRun.code, callerRun.log).toBe(0);
      const carrierRun = await answering.done;
      expect(carrierRun.code, carrierRun.log).toBe(0);
      expect(await balanceMismatches(suite.database.db)).toEqual([]);
    } finally {
      talking.stop();
      answering.stop();
    }
  });
});
