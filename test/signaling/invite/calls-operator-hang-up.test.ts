// An operator hangs up a live call through the admin API, which runs apart from the signaling role (here on the same
// database, as the api and signaling processes of a deployment share it): the node holding the call finds the request
// on its poll and sends BYE on both legs (sipp, as caller and carrier, checks each gets one), and the record is
// closed by `system` with cause `operator`, billed to that moment. Asking again is answered the same; once the call
// is over the API says so. A call still ringing is stopped too: CANCEL to the carrier, 480 with X-Reason operator to
// the caller (sipp checks both), the record failed by `system` with cause `operator`, nothing charged.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { signIn, testApi, type SignedIn } from '../../harness/api.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, onceClosed, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { sippBinary, startSipp } from '../../harness/sipp.ts';

describe.skipIf(drachtioProvision.via === 'missing' || sippBinary === undefined)('an operator hangs up a live call', { timeout: 60_000 }, () => {
  const suite = useCallStack({}, (db) =>
    // By the second, so the charge follows the talk time exactly.
    createRate(db, toRateInput({ prefix: '44', pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier, lastCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  let api: FastifyInstance;
  let operator: SignedIn;
  beforeAll(async () => {
    api = await testApi(suite.database, {});
    operator = await signIn(api, suite.database.db, { role: 'operator' });
  });
  afterAll(() => api?.close());

  it('ends both legs with BYE, closes the record as the operator ending it and bills the seconds used', async () => {
    const kim = await caller('kim', 10 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    // This caller stays on the line until our side sends BYE; so does the carrier (uas-answer.xml waits for it).
    const call = await startSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: suite.stack.target,
      fields: [kim.fields('+442079460958')],
      timeoutSeconds: 30,
    });
    await vi.waitFor(async () => expect((await lastCdr(kim.accountId)).phase).toBe('answered'), { timeout: 10_000, interval: 100 });
    const { id } = await lastCdr(kim.accountId);

    const live = await api.inject({ method: 'GET', url: '/admin/calls/live', headers: operator.headers });
    expect(live.json<{ calls: { id: string; phase: string; trunk: string }[] }>().calls).toEqual([
      expect.objectContaining({ id, phase: 'answered', trunk: 'carrier-a' }),
    ]);
    const hangUp = await api.inject({ method: 'POST', url: `/admin/calls/${id}/hang-up`, headers: operator.headers });
    expect(hangUp.statusCode, hangUp.body).toBe(202);

    const [callerRun, carrierRun] = [await call.done, await peer.done];
    expect(callerRun.code, callerRun.log).toBe(0);
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const cdr = await onceClosed(() => lastCdr(kim.accountId));
    expect(cdr).toMatchObject({ id, phase: 'ended', ended_by: 'system', hangup_cause: 'operator' });
    expect(cdr.cost).toBe(cdr.billable_seconds! * 10_000); // 0.60 a minute = 0.01 a second
    expect(await balanceOf(suite.database.db, kim.accountId)).toEqual({ balance: 10 * UNIT - cdr.cost!, reserved: 0, available: 10 * UNIT - cdr.cost! });
    expect(await suite.stack.metrics.registry.getSingleMetricAsString('dialo_calls_ended_total')).toContain('dialo_calls_ended_total{cause="operator"} 1');

    const again = await api.inject({ method: 'POST', url: `/admin/calls/${id}/hang-up`, headers: operator.headers });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ detail: string }>().detail).toMatch(/^the call already ended at /);
    expect(
      await api.inject({ method: 'GET', url: '/admin/calls/live', headers: operator.headers }).then((response) => response.json<{ calls: unknown[] }>().calls),
    ).toEqual([]);
  });

  it('stops a call still ringing: CANCEL to the carrier, 480 X-Reason operator to the caller, nothing charged', async () => {
    const { db } = suite.database;
    const lee = await caller('lee', 10 * UNIT);
    // Tried before carrier-a (priority 1): rings, never answers, and fails unless CANCEL comes.
    const peer = await carrier('carrier-ringing', 'uas-ring-expect-cancel.xml', { priority: 0 });
    const call = await startSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [lee.fields('+442079460959')],
      keys: { expect: '480', reason: 'operator' },
      timeoutSeconds: 30,
    });
    // The credit is held just before the carrier is dialled.
    await vi.waitFor(
      async () => {
        const hold = await db.selectFrom('reservations').select('status').where('account_id', '=', lee.accountId).executeTakeFirst();
        if (hold?.status !== 'active') throw new Error('ringing call holds no credit yet');
      },
      { timeout: 10_000, interval: 50 },
    );
    const { id, answered_at } = await lastCdr(lee.accountId);
    expect(answered_at).toBeNull();
    const hangUp = await api.inject({ method: 'POST', url: `/admin/calls/${id}/hang-up`, headers: operator.headers });
    expect(hangUp.statusCode, hangUp.body).toBe(202);

    const [callerRun, carrierRun] = [await call.done, await peer.done];
    expect(callerRun.code, callerRun.log).toBe(0);
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const cdr = await onceClosed(() => lastCdr(lee.accountId));
    expect(cdr).toMatchObject({ id, phase: 'failed', sip_status: 480, ended_by: 'system', hangup_cause: 'operator', answered_at: null });
    expect(cdr.cost ?? 0).toBe(0);
    expect(await balanceOf(db, lee.accountId)).toEqual({ balance: 10 * UNIT, reserved: 0, available: 10 * UNIT });
  });
});
