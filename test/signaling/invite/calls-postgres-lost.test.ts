// Postgres killed mid-call (SIGKILL, its own server for this suite) and started again: the app must stay up and
// answer while the database is gone, and, once it is back, close the call the outage cut
// off from its record, charging no more than was talked (to its last heartbeat), with the ledger exact.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { connectDatabase } from '../../../db/connect.ts';
import { migrateToLatest } from '../../../db/migrate.ts';
import { callFixtures, refreshOf, onceAnswered, onceMarkedAlive, UNIT } from '../../harness/calls.ts';
import type { TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { privatePostgresMissing, startPrivatePostgres, type PrivatePostgres } from '../../harness/private-postgres.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { runSipp, sippBinary, startSipp } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined || privatePostgresMissing !== undefined;

describe.skipIf(missing)('Postgres lost mid-call', () => {
  let postgres: PrivatePostgres;
  let database: TestDatabase;
  let stack: SignalingStack;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const handle = connectDatabase({ kind: 'postgres', url: postgres.url }, { onConnectionLost: () => undefined });
    await migrateToLatest(handle.db);
    database = { ...handle, url: postgres.url };
    stack = await startSignalingStack(database, { CALLER_ID_DEFAULT: '+14155550199', CALL_HEARTBEAT_SECONDS: '1' });
    // 6.00 a minute by the second to the UK: 0.10 per started second.
    await createRate(
      database.db,
      toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }),
    );
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await database?.close();
    await postgres?.stop();
  });
  const { caller, carrier } = callFixtures(
    () => database,
    refreshOf(() => stack),
  );

  it('keeps serving while it is gone (503 Retry-After where it is needed), and afterwards closes the cut-off call billed to its last heartbeat', async () => {
    const { db } = database;
    const talker = await caller('pia', 10 * UNIT);
    const answering = await carrier('carrier-answer', 'uas-answer.xml', { timeoutSeconds: 60 });
    // Talks 4 s, then hangs up while the database is down.
    const talking = await startSipp({
      scenario: 'uac-call-expect-200.xml',
      target: stack.target,
      fields: [talker.fields('+442079460958', 4_000)],
      timeoutSeconds: 60,
    });
    try {
      const answered = await onceAnswered(database, talker.accountId);
      await onceMarkedAlive(database, answered.id);
      await postgres.kill();
      const lastSeen = Date.now();

      const hungUp = await talking.done;
      expect(hungUp.code, hungUp.log).toBe(0);
      expect((await answering.done).code).toBe(0);
      // Still answering SIP: the process is up and nothing that needs no database is refused.
      expect((await runSipp({ scenario: 'uac-options-expect-200.xml', target: stack.target })).code).toBe(0);
      // What needs it is told to come back later (503 + Retry-After), not that we failed for good (500).
      const registering = await runSipp({ scenario: 'uac-register-unavailable-expect-503.xml', target: stack.target, fields: [talker.fields('outage')] });
      expect(registering.code, registering.log).toBe(0);

      await postgres.start();
      const closed = await vi.waitFor(
        async () => {
          const cdr = await db.selectFrom('cdrs').selectAll().where('id', '=', answered.id).executeTakeFirstOrThrow();
          if (cdr.ended_at === null || cdr.cost === null) throw new Error('call not closed yet');
          return cdr;
        },
        { timeout: 30_000, interval: 500 },
      );
      expect(closed).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'internal-error' });
      // Billed from answer to its last heartbeat before the loss: never the outage, never the hold.
      expect(closed.ended_at!.getTime()).toBeLessThanOrEqual(lastSeen);
      const seconds = Math.ceil((closed.ended_at!.getTime() - closed.answered_at!.getTime()) / 1000);
      expect(closed).toMatchObject({ billable_seconds: seconds, cost: seconds * (UNIT / 10) });
      expect(await db.selectFrom('reservations').select(['status', 'charged']).where('cdr_id', '=', closed.id).executeTakeFirstOrThrow()).toEqual({
        status: 'settled',
        charged: closed.cost,
      });
      expect(await balanceOf(db, talker.accountId)).toEqual({ balance: 10 * UNIT - closed.cost!, reserved: 0, available: 10 * UNIT - closed.cost! });
      expect(await balanceMismatches(db)).toEqual([]);
    } finally {
      talking.stop();
      answering.stop();
    }
  }, 120_000);
});
