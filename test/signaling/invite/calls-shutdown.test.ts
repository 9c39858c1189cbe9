// Stopping the signaling role (SIGTERM) with a call up: the call is hung up from our side on both legs, closed and
// billed for the time used, before the process lets go of the database.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { sippBinary, startSipp } from '../../harness/sipp.ts';

describe.skipIf(drachtioProvision.via === 'missing' || sippBinary === undefined)('shutdown with calls up', () => {
  let database: TestDatabase;
  let stack: SignalingStack;
  const { caller, carrier, lastCdr, finishedCdr } = callFixtures(
    () => database,
    refreshOf(() => stack),
  );

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(database, { CALLER_ID_DEFAULT: '+14155550199' });
    // By the second, so the charge follows the talk time exactly.
    await createRate(
      database.db,
      toRateInput({ prefix: '44', pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }),
    );
  });
  afterAll(async () => {
    await stack?.drachtio.stop();
    await database?.close();
  });

  it('hangs up both legs with cause shutdown and bills the seconds used', async () => {
    const kim = await caller('kim', 10 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    // This caller stays on the line until our side sends BYE.
    const call = await startSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: stack.target,
      fields: [kim.fields('+442079460958')],
      timeoutSeconds: 20,
    });
    await vi.waitFor(async () => expect((await lastCdr(kim.accountId)).phase).toBe('answered'), { timeout: 10_000, interval: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stack.metrics.registry.getSingleMetricAsString('dialo_calls_active')).toMatch(/^dialo_calls_active 1$/m);

    await stack.signaling.stop();

    const [callerRun, carrierRun] = [await call.done, await peer.done];
    expect(callerRun.code, callerRun.log).toBe(0);
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const cdr = await finishedCdr(kim.accountId);
    expect(await stack.metrics.registry.getSingleMetricAsString('dialo_calls_active')).toMatch(/^dialo_calls_active 0$/m);
    expect(await stack.metrics.registry.getSingleMetricAsString('dialo_calls_ended_total')).toContain('dialo_calls_ended_total{cause="shutdown"} 1');
    expect(cdr).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'shutdown' });
    expect(cdr.billable_seconds).toBeGreaterThanOrEqual(2);
    expect(cdr.cost).toBe(cdr.billable_seconds! * 10_000); // 0.60 a minute = 0.01 a second
    const balance = await balanceOf(database.db, kim.accountId);
    expect([balance.balance, balance.reserved]).toEqual([10 * UNIT - cdr.cost!, 0]);
  });
});
