// Calls whose ends speak different media, through real FreeSWITCH (infra/freeswitch config) and real drachtio-server:
// the app puts a media server between them and each side gets SDP it can use.
import { describe, expect, it, vi } from 'vitest';
import { balanceOf } from '../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, expectingDialString, refreshOf, UNIT } from '../harness/calls.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { derivedScenario, runSipp, sippBinary } from '../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || freeswitchProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('calls through a media server (real FreeSWITCH)', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it("a WebRTC caller gets the media server's WebRTC answer and the carrier a plain G.711 offer; the call is billed", async () => {
    const alice = await caller('alice', 10 * UNIT);
    const peer = await carrier('carrier-rtp', 'uas-answer-expect-rtp-offer.xml');
    const call = await runSipp({ scenario: 'uac-webrtc-call-expect-200.xml', target: suite.stack.target, fields: [alice.fields('+14155550100', 1500)] });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    expect(await finishedCdr(alice.accountId)).toMatchObject({
      phase: 'ended',
      ended_by: 'caller',
      sip_status: 200,
      cost: 0.6 * UNIT,
      media_server: 'freeswitch 127.0.0.1',
    });
  });

  it("a trunk's codec order reorders the media server's offer to the carrier (PCMA first), and the call goes through", async () => {
    const cleo = await caller('cleo', 10 * UNIT);
    const peer = await carrier('carrier-pcma', await expectingDialString({ ruri: '.', to: '.', from: '.', codecs: 'm=audio [0-9]+ RTP/AVP 8 0( |\r|\n)' }));
    await suite.database.db
      .updateTable('trunks')
      .set({ codec_order: ['PCMA', 'PCMU'] })
      .where('id', '=', peer.trunkId)
      .execute();
    await suite.stack.signaling.refreshCaches();
    const call = await runSipp({ scenario: 'uac-webrtc-call-expect-200.xml', target: suite.stack.target, fields: [cleo.fields('+14155550100', 500)] });
    const carrierRun = await peer.done;
    expect(carrierRun.code, `${carrierRun.log}\n${carrierRun.trace}`).toBe(0);
    expect(call.code, call.log).toBe(0);
    expect(await finishedCdr(cleo.accountId)).toMatchObject({ phase: 'ended', sip_status: 200, media_server: 'freeswitch 127.0.0.1' });
  });
});

describe.skipIf(missing)('when the media server fails (real FreeSWITCH, killed and restarted)', () => {
  const media = useFreeSwitch({ MEDIA_SERVER_RETRY_SECONDS: '1' });
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier, lastCdr, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('a crash mid-call hangs up both legs with cause media-failure and bills the seconds used; calls are refused 488 until it is back', async () => {
    const bob = await caller('bob', 10 * UNIT);
    const peer = await carrier('carrier-rtp', 'uas-answer.xml');
    const call = runSipp({ scenario: 'uac-webrtc-call-expect-bye.xml', target: suite.stack.target, fields: [bob.fields('+14155550100')] });
    await vi.waitFor(async () => expect((await lastCdr(bob.accountId)).answered_at).not.toBeNull(), { timeout: 10_000 });
    await media.server.crash();

    const [callerRun, carrierRun] = [await call, await peer.done];
    expect(callerRun.code, callerRun.log).toBe(0);
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const cdr = await finishedCdr(bob.accountId);
    expect(cdr).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'media-failure' });
    expect(cdr.cost).toBe(cdr.billable_seconds! * 0.01 * UNIT);
    expect(suite.stack.media!.pool.connectedCount()).toBe(0);

    const refused = await runSipp({ scenario: 'uac-webrtc-call-expect-488.xml', target: suite.stack.target, fields: [bob.fields('+14155550100')] });
    expect(refused.code, refused.log).toBe(0);
    expect(await lastCdr(bob.accountId)).toMatchObject({ phase: 'refused', refusal_reason: 'media-unavailable' });

    await media.server.restart();
    await vi.waitFor(() => expect(suite.stack.media!.pool.connectedCount()).toBe(1), { timeout: 10_000 });
    const again = await carrier('carrier-rtp-2', 'uas-answer-expect-rtp-offer.xml');
    const answered = await runSipp({ scenario: 'uac-webrtc-call-expect-200.xml', target: suite.stack.target, fields: [bob.fields('+14155550100', 500)] });
    expect(answered.code, answered.log).toBe(0);
    expect((await again.done).code).toBe(0);
    expect(await finishedCdr(bob.accountId)).toMatchObject({ phase: 'ended', ended_by: 'caller' });
  });
});

describe.skipIf(missing)("when the media server refuses the caller's offer (real FreeSWITCH)", () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('a WebRTC offer without ICE candidates: the carrier that answered gets BYE, the caller 488 media-unavailable, nothing is charged', async () => {
    const carol = await caller('carol', 10 * UNIT);
    const peer = await carrier('carrier-rtp', 'uas-answer.xml');
    // The same call as a browser's, minus its candidates: FreeSWITCH cannot do ICE and answers 488.
    const scenario = await derivedScenario('uac-webrtc-call-expect-488.xml', (xml) => xml.replace(/^ *a=candidate:.*\n/gm, ''));
    const call = await runSipp({ scenario, target: suite.stack.target, fields: [carol.fields('+14155550100')] });
    expect(call.code, call.log).toBe(0);
    expect((await peer.done).code).toBe(0);
    expect(await finishedCdr(carol.accountId)).toMatchObject({ phase: 'failed', sip_status: 488, hangup_cause: 'media-unavailable', cost: null });
    const balance = await balanceOf(suite.database.db, carol.accountId);
    expect([balance.balance, balance.available]).toEqual([10 * UNIT, 10 * UNIT]);
  });
});
