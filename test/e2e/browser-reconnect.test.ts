// A call that survives its signaling dropping: a tab's WebSocket to drachtio-server goes through a TCP relay the
// test cuts mid-call; the tab connects again from the same instance, registers, and re-offers the call with an ICE
// restart on its dialog, while the other tab stays in the call.
import { describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { credit } from '../harness/billing.ts';
import { freeUdpPort } from '../harness/external.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { sippBinary } from '../harness/sipp.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import type { SoftphoneTab } from '../harness/softphone-tab.ts';
import { audioArrives, useSoftphoneUsers, type SoftphoneUser } from '../harness/softphone-users.ts';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.ts';
import type { CallSnapshot } from '../../softphone/test-page/page-api.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing';
const TEST_MS = 120_000;
const GRACE_SECONDS = 3;

describe.skipIf(missing)('softphone in Chromium: a call survives the signaling WebSocket dropping', () => {
  // A short grace (probed every second) so the test that outlasts it does not wait half a minute.
  const suite = useCallStack({ CALL_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) });
  const { finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const users = useSoftphoneUsers(suite);

  /** alice, whose tab's WebSocket goes through a relay the test cuts, calls bob, who answers. */
  async function onCallThroughRelay(
    test: (call: {
      relay: TcpProxy;
      alice: SoftphoneUser;
      bob: SoftphoneUser;
      aliceTab: SoftphoneTab;
      bobTab: SoftphoneTab;
      callId: string;
      incoming: CallSnapshot;
    }) => Promise<void>,
  ) {
    const relay = await startTcpProxy({ host: '127.0.0.1', port: suite.stack.drachtio.wsPort });
    const alice = await users.userWithNumber();
    const bob = await users.userWithNumber();
    const aliceTab = await users.openTab({ ...(await alice.settings()), webSocketUrl: `ws://127.0.0.1:${relay.port}` });
    const bobTab = await bob.openTab();
    try {
      const callId = await aliceTab.run('dial', bob.number);
      const incoming = await bobTab.run('nextIncoming');
      await bobTab.run('answer', incoming.id);
      await aliceTab.run('untilState', callId, 'connected');
      await test({ relay, alice, bob, aliceTab, bobTab, callId, incoming });
    } finally {
      relay.refuseConnections(false);
      await aliceTab.close();
      await bobTab.close();
      await relay.stop();
    }
  }

  it(
    'tab to tab: the caller reconnects and restarts ICE on its dialog; audio flows again, the callee never got a BYE, one record',
    { timeout: TEST_MS },
    async () => {
      await onCallThroughRelay(async ({ relay, alice, bob, aliceTab, bobTab, callId, incoming }) => {
        await audioArrives(bobTab, incoming.id);

        const before = await aliceTab.run('iceUfrags', callId);
        const resumed = aliceTab.run('untilResumed');
        const droppedAt = performance.now();
        relay.dropConnections();
        await resumed;
        console.log(`[measure] tab to tab: WebSocket dropped -> reconnected, registered and ICE restarted in ${Math.round(performance.now() - droppedAt)} ms`);
        // The re-INVITE on the old dialog restarted ICE, and its offer reached the callee through the B2BUA.
        const after = await aliceTab.run('iceUfrags', callId);
        expect(after.local).not.toBe(before.local);
        expect(after.remote).not.toBe(before.remote);
        expect((await bobTab.run('iceUfrags', incoming.id)).remote).toBe(after.local);
        await expect.poll(async () => (await aliceTab.run('iceUfrags', callId)).inUse, { timeout: 20_000 }).toBe(after.local);
        const atResume = await aliceTab.run('inboundAudio', callId);
        await audioArrives(aliceTab, callId, atResume.packetsReceived);
        expect(await bobTab.run('snapshot', incoming.id)).toMatchObject({ state: 'connected' });
        expect(await aliceTab.run('snapshot', callId)).toMatchObject({ state: 'connected' });

        // Requests toward the caller take its new connection: the callee's BYE reaches it.
        await bobTab.run('hangup', incoming.id);
        await aliceTab.run('untilState', callId, 'ended');
        // One call on each side, from answer to the callee's hang-up.
        for (const accountId of [alice.accountId, bob.accountId]) {
          const records = await suite.database.db.selectFrom('cdrs').select('id').where('account_id', '=', accountId).execute();
          expect(records).toHaveLength(1);
          expect(await finishedCdr(accountId)).toMatchObject({ direction: 'onnet', phase: 'ended', ended_by: 'callee', hangup_cause: 'normal' });
        }
      });
    },
  );

  it(
    'a drop that outlasts the grace ends the call: the callee gets a BYE, the record says reconnect-timeout, billed to the loss',
    { timeout: TEST_MS },
    async () => {
      await onCallThroughRelay(async ({ relay, alice, bobTab, incoming }) => {
        relay.refuseConnections(true);
        const droppedAt = new Date();
        relay.dropConnections();
        await bobTab.run('untilState', incoming.id, 'ended');
        const endedAt = new Date();
        const record = await finishedCdr(alice.accountId);
        expect(record).toMatchObject({ direction: 'onnet', phase: 'ended', ended_by: 'system', hangup_cause: 'reconnect-timeout' });
        // Billed to the first probe that found the leg gone: after the drop, a whole grace before the call ended.
        expect(record.ended_at!.getTime()).toBeGreaterThanOrEqual(droppedAt.getTime());
        expect(record.ended_at!.getTime()).toBeLessThanOrEqual(endedAt.getTime() - GRACE_SECONDS * 1000);
      });
    },
  );
});

describe.skipIf(missing || freeswitchProvision.via === 'missing' || sippBinary === undefined)(
  'softphone in Chromium: a call to a carrier through FreeSWITCH survives the drop',
  () => {
    const media = useFreeSwitch();
    const suite = useCallStack(
      () => ({ ...media.env(), CALL_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) }),
      (db) =>
        createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
    );
    const { carrier, finishedCdr } = callFixtures(
      () => suite.database,
      refreshOf(() => suite.stack),
    );
    const users = useSoftphoneUsers(suite);

    it(
      "the ICE restart is answered by the tab's FreeSWITCH channel: its echo is heard again, the carrier never got a BYE until the hang-up, one billed call",
      { timeout: TEST_MS },
      async () => {
        const relay = await startTcpProxy({ host: '127.0.0.1', port: suite.stack.drachtio.wsPort });
        const user = await users.userWithNumber();
        await credit(suite.database.db, user.accountId, 10 * UNIT);
        // sipp echoes the audio it gets: the tab hears its own microphone only if both media legs carry it.
        const peer = await carrier('carrier-echo', 'uas-answer-expect-rtp-offer.xml', { extraArgs: ['-rtp_echo', '-mp', String(await freeUdpPort())] });
        const tab = await users.openTab({ ...(await user.settings()), webSocketUrl: `ws://127.0.0.1:${relay.port}` });
        try {
          const callId = await tab.run('dial', '+14155550100');
          await tab.run('untilState', callId, 'connected');
          await audioArrives(tab, callId);

          const before = await tab.run('iceUfrags', callId);
          const resumed = tab.run('untilResumed');
          const droppedAt = performance.now();
          relay.dropConnections();
          await resumed;
          console.log(
            `[measure] tab to carrier: WebSocket dropped -> reconnected, registered and ICE restarted in ${Math.round(performance.now() - droppedAt)} ms`,
          );
          // FreeSWITCH answers the restart keeping its own ICE credentials (seen: the same ice-ufrag); media still moves
          // to a pair checked with the tab's new ones.
          const after = await tab.run('iceUfrags', callId);
          expect(after.local).not.toBe(before.local);
          await expect.poll(async () => (await tab.run('iceUfrags', callId)).inUse, { timeout: 20_000 }).toBe(after.local);
          await audioArrives(tab, callId, (await tab.run('inboundAudio', callId)).packetsReceived);

          // The carrier's scenario fails on any message it does not expect: its only BYE is the one this hang-up sends.
          await tab.run('hangup', callId);
          await tab.run('untilState', callId, 'ended');
        } finally {
          await tab.close();
          await relay.stop();
        }
        const carrierRun = await peer.done;
        expect(carrierRun.code, carrierRun.log).toBe(0);
        const records = await suite.database.db.selectFrom('cdrs').select('id').where('account_id', '=', user.accountId).execute();
        expect(records).toHaveLength(1);
        expect(await finishedCdr(user.accountId)).toMatchObject({
          direction: 'outbound',
          phase: 'ended',
          ended_by: 'caller',
          hangup_cause: 'normal',
          cost: 0.6 * UNIT,
        });
      },
    );
  },
);
