// How outbound calls end other than by the caller's BYE, through real drachtio-server: the carrier hangs up, the
// caller gives up while the carrier rings, we give up on a trunk that rings too long. sipp is the registered caller
// and the carrier.
import { describe, expect, it } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { receivedNoCall, runSipp, sippBinary } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('calls ended by the callee or cancelled, over real drachtio-server', () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '2' }, (db) =>
    // 0.60 a minute in whole minutes.
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );

  const { caller, carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('uas-answer-then-bye: the carrier hangs up; the call is recorded as ended by the callee and billed', async () => {
    const ursula = await caller('ursula', 10 * UNIT);
    const peer = await carrier('carrier-hangs-up', 'uas-answer-then-bye.xml');
    // The caller's side of a call the far end ends: answer, then expect a BYE.
    const call = await runSipp({ scenario: 'uac-call-max-duration-expect-bye.xml', target: suite.stack.target, fields: [ursula.fields('+14155550170')] });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);

    const cdr = await finishedCdr(ursula.accountId);
    expect(cdr).toMatchObject({ direction: 'outbound', phase: 'ended', ended_by: 'callee', hangup_cause: 'normal', trunk_id: peer.trunkId, sip_status: 200 });
    // 1.5 s of talk at 60/60 increments bills one whole minute: 0.60.
    expect(cdr.billable_seconds).toBeGreaterThanOrEqual(1);
    expect(cdr.cost).toBe(0.6 * UNIT);
    const balance = await balanceOf(suite.database.db, ursula.accountId);
    expect([balance.balance, balance.available]).toEqual([10 * UNIT - 0.6 * UNIT, 10 * UNIT - 0.6 * UNIT]);
  });

  it('uac-call-cancel-expect-487: the caller gives up while the carrier rings; the carrier gets CANCEL, nothing is charged', async () => {
    const victor = await caller('victor', UNIT);
    const peer = await carrier('carrier-rings', 'uas-ring-expect-cancel.xml');
    const call = await runSipp({ scenario: 'uac-call-cancel-expect-487.xml', target: suite.stack.target, fields: [victor.fields('+14155550171')] });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await peer.done;
    expect(carrierRun.code, `the carrier must see CANCEL: ${carrierRun.log}`).toBe(0);

    const cdr = await finishedCdr(victor.accountId);
    expect(cdr).toMatchObject({ direction: 'outbound', phase: 'cancelled', ended_by: 'caller', answered_at: null, cost: null });
    const balance = await balanceOf(suite.database.db, victor.accountId);
    expect([balance.balance, balance.available]).toEqual([UNIT, UNIT]);
    const holds = await suite.database.db.selectFrom('reservations').select('status').where('cdr_id', '=', cdr.id).execute();
    expect(holds).toEqual([{ status: 'released' }]);
  });

  it('cancels a trunk that rings past TRUNK_TIMEOUT_SECONDS and fails over to the next one', async () => {
    const wendy = await caller('wendy', 10 * UNIT);
    const slow = await carrier('carrier-slow', 'uas-ring-expect-cancel.xml', { priority: 1 });
    const fast = await carrier('carrier-fast', 'uas-answer.xml', { priority: 2 });
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [wendy.fields('+14155550172', 500)] });
    expect(call.code, call.log).toBe(0);
    const [slowRun, fastRun] = [await slow.done, await fast.done];
    expect(slowRun.code, `the slow trunk must see CANCEL: ${slowRun.log}`).toBe(0);
    expect(fastRun.code, fastRun.log).toBe(0);
    expect(await finishedCdr(wendy.accountId)).toMatchObject({ phase: 'ended', ended_by: 'caller', trunk_id: fast.trunkId, cost: 0.6 * UNIT });
  });

  it('uac-call-cancel-at-once-expect-487: a CANCEL right behind the INVITE leaves no trunk ringing, nothing charged', async () => {
    const yusuf = await caller('yusuf', UNIT);
    const peer = await carrier('carrier-unused', 'uas-ring-expect-cancel.xml', { timeoutSeconds: 5 });
    const call = await runSipp({ scenario: 'uac-call-cancel-at-once-expect-487.xml', target: suite.stack.target, fields: [yusuf.fields('+14155550173')] });
    expect(call.code, call.log).toBe(0);
    const cdr = await finishedCdr(yusuf.accountId);
    expect(cdr).toMatchObject({ direction: 'outbound', phase: 'cancelled', ended_by: 'caller', sip_status: 487, trunk_id: null, cost: null });
    const balance = await balanceOf(suite.database.db, yusuf.accountId);
    expect([balance.balance, balance.available]).toEqual([UNIT, UNIT]);
    // Usually the carrier never sees an INVITE (its scenario then times out waiting); if it does, it must get CANCEL.
    const carrierRun = await peer.done;
    expect(carrierRun.code === 0 || receivedNoCall(carrierRun), `rung and never cancelled: ${carrierRun.log}`).toBe(true);
  });
});
