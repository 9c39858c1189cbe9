// Calls through real drachtio-server: sipp as the caller (a registered SIP phone) and as the carrier (a trunk).
import { describe, expect, it } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('calls over real drachtio-server', () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '3' }, async (db) => {
    // 0.60 a minute in whole minutes to the US; 6.00 a minute by the second to the UK.
    await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
    await createRate(db, toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }));
  });

  const { caller, carrier, lastCdr, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('uac-call-expect-200: a billed call is charged exactly one increment and recorded', async () => {
    const alice = await caller('alice', 10 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [alice.fields('+14155550100', 1500)] });
    expect(call.code, call.log).toBe(0);
    expect((await peer.done).code).toBe(0);

    const cdr = await finishedCdr(alice.accountId);
    expect(cdr).toMatchObject({
      direction: 'outbound',
      phase: 'ended',
      ended_by: 'caller',
      to_number: '+14155550100',
      from_number: '+14155550199',
      trunk_id: peer.trunkId,
      sip_status: 200,
      media_server: null,
      mos: null,
    });
    // Stored sealed under the caller's key (the fixture opens them): no plain number in the row.
    const stored = await suite.database.db.selectFrom('cdrs').select(['from_number', 'to_number']).where('id', '=', cdr.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toMatch(/4155550100|4155550199/);
    // drachtio's dialog ids were kept while the call was up (to hang it up after a crash), not past its end.
    expect([cdr.caller_dialog, cdr.callee_dialog]).toEqual([null, null]);
    expect(cdr.billable_seconds).toBeGreaterThanOrEqual(1);
    // 1-2 s of talk at 60/60 increments bills one whole minute: 0.60.
    expect(cdr.cost).toBe(0.6 * UNIT);
    expect((await balanceOf(suite.database.db, alice.accountId)).balance).toBe(10 * UNIT - 0.6 * UNIT);
  });

  it('fails over from a trunk answering 503 to the next one', async () => {
    const bob = await caller('bob', 10 * UNIT);
    const down = await carrier('carrier-down', 'uas-reject-503.xml', { priority: 1 });
    const up = await carrier('carrier-up', 'uas-answer.xml', { priority: 2 });
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [bob.fields('+14155550101', 500)] });
    const [downRun, upRun] = [await down.done, await up.done];
    expect(downRun.code, downRun.log).toBe(0);
    expect(upRun.code, upRun.log).toBe(0);
    expect(call.code, call.log).toBe(0);
    expect(await finishedCdr(bob.accountId)).toMatchObject({ phase: 'ended', ended_by: 'caller', trunk_id: up.trunkId });
  });

  it('gives up at the trunk timeout on a trunk that sent no 1xx, fails over, and hangs up its late answer', async () => {
    const cleo = await caller('cleo', 10 * UNIT);
    const silent = await carrier('carrier-silent', 'uas-silent-then-answer-expect-bye.xml', { priority: 1 });
    const up = await carrier('carrier-up', 'uas-answer.xml', { priority: 2 });
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [cleo.fields('+14155550102', 500)] });
    expect(call.code, call.log).toBe(0);
    const [silentRun, upRun] = [await silent.done, await up.done];
    expect(silentRun.code, `${silentRun.log}\n${silentRun.trace}`).toBe(0);
    expect(upRun.code, upRun.log).toBe(0);
    expect(await finishedCdr(cleo.accountId)).toMatchObject({ phase: 'ended', trunk_id: up.trunkId });
  });

  it('dials a trunk whose URI names its transport (sip:host:port;transport=udp), as the README writes it', async () => {
    const kim = await caller('kim', 10 * UNIT);
    const peer = await carrier('carrier-udp', 'uas-answer.xml');
    await suite.database.db
      .updateTable('trunks')
      .set({ outbound_uri: `sip:127.0.0.1:${peer.port};transport=udp` })
      .where('id', '=', peer.trunkId)
      .execute();
    await suite.stack.signaling.refreshCaches();
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [kim.fields('+14155550107', 500)] });
    expect(call.code, call.log).toBe(0);
    expect((await peer.done).code).toBe(0);
    expect(await finishedCdr(kim.accountId)).toMatchObject({ phase: 'ended', trunk_id: peer.trunkId, sip_status: 200, cost: 0.6 * UNIT });
  });

  it('moves on to the next trunk when one cannot be dialled from our side (a stored URI no call can use), holding nothing back', async () => {
    const lena = await caller('lena', 10 * UNIT);
    // Trunks are cleared after each test (call-stack.ts).
    await suite.database.db.insertInto('trunks').values({ name: 'carrier-broken', priority: 0, outbound_uri: 'sip:127.0.0.1:99999;maddr=x' }).execute();
    const up = await carrier('carrier-up', 'uas-answer.xml', { priority: 2 });
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [lena.fields('+14155550108', 500)] });
    expect(call.code, call.log).toBe(0);
    expect((await up.done).code).toBe(0);
    expect(await finishedCdr(lena.accountId)).toMatchObject({ phase: 'ended', trunk_id: up.trunkId, cost: 0.6 * UNIT });
    expect((await balanceOf(suite.database.db, lena.accountId)).reserved).toBe(0);
  });

  it('with only a trunk that cannot be dialled, refuses the caller, closes the record with the cause and releases the hold', async () => {
    const mia = await caller('mia', 10 * UNIT);
    // Trunks are cleared after each test (call-stack.ts).
    await suite.database.db.insertInto('trunks').values({ name: 'carrier-broken', priority: 0, outbound_uri: 'sip:127.0.0.1:99999' }).execute();
    await suite.stack.signaling.refreshCaches();
    const call = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [mia.fields('+14155550109')],
      keys: { expect: '503', reason: 'trunk-failure' },
    });
    expect(call.code, call.log).toBe(0);
    expect(await lastCdr(mia.accountId)).toMatchObject({ phase: 'failed', sip_status: 503, hangup_cause: 'internal-error' });
    expect(await balanceOf(suite.database.db, mia.accountId)).toEqual({ balance: 10 * UNIT, reserved: 0, available: 10 * UNIT });
  });

  it('uac-call-max-duration-expect-bye: credit for 3 s ends the call at 3 s, billed 3 s', async () => {
    const dave = await caller('dave', 0.3 * UNIT); // 3 s at 6.00 a minute
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    const call = await runSipp({ scenario: 'uac-call-max-duration-expect-bye.xml', target: suite.stack.target, fields: [dave.fields('+442079460958')] });
    expect(call.code, call.log).toBe(0);
    expect((await peer.done).code).toBe(0);
    const cdr = await finishedCdr(dave.accountId);
    expect(cdr).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'max-duration', billable_seconds: 3, cost: 0.3 * UNIT });
    expect(cdr.ended_at!.getTime() - cdr.answered_at!.getTime()).toBeLessThan(4000);
    expect((await balanceOf(suite.database.db, dave.accountId)).balance).toBe(0);
  });

  it.each([
    ['402', 'erin', 0, '+14155550103', 'no-credit'],
    ['484', 'frank', UNIT, 'abc', 'bad-number'],
    ['403', 'grace', UNIT, '+4915112345678', 'no-rate'],
    ['503', 'heidi', UNIT, '+14155550104', 'no-trunk'],
  ])('uac-call-refused -key expect %s: refused, recorded, nothing charged', async (code, name, balance, dialled, reason) => {
    const who = await caller(name, balance);
    const call = await runSipp({ scenario: 'uac-call-refused.xml', target: suite.stack.target, fields: [who.fields(dialled)], keys: { expect: code, reason } });
    expect(call.code, call.log).toBe(0);
    expect(await lastCdr(who.accountId)).toMatchObject({ phase: 'refused', refusal_reason: reason, sip_status: Number(code) });
    expect((await balanceOf(suite.database.db, who.accountId)).balance).toBe(balance);
    expect(await suite.stack.metrics.registry.getSingleMetricAsString('dialo_call_refusals_total')).toContain(`reason="${reason}"`);
  });

  it('uac-call-refused fails (sipp exits non-zero) when the status differs from the expected one', async () => {
    const jack = await caller('jack', 0);
    const call = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [jack.fields('+14155550106')],
      keys: { expect: '403', reason: 'no-credit' },
    });
    expect(call.code, call.log).not.toBe(0);
    expect(call.log).toContain('status 402, expected 403');
  });

  it('uac-call-refused -key expect 503 -key reason trunk-failure: the only trunk failing releases the hold', async () => {
    const ivan = await caller('ivan', UNIT);
    const peer = await carrier('carrier-down', 'uas-reject-503.xml');
    const call = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [ivan.fields('+14155550105')],
      keys: { expect: '503', reason: 'trunk-failure' },
    });
    expect(call.code, call.log).toBe(0);
    expect((await peer.done).code).toBe(0);
    expect(await finishedCdr(ivan.accountId)).toMatchObject({ phase: 'failed', sip_status: 503 });
    const balance = await balanceOf(suite.database.db, ivan.accountId);
    expect([balance.balance, balance.available]).toEqual([UNIT, UNIT]);
  });
});
