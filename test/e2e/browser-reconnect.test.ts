// A call that survives its signaling dropping: a tab's WebSocket to drachtio-server goes through a TCP relay the
// test cuts mid-call; the tab connects again from the same instance, registers, and re-offers the call with an ICE
// restart on its dialog, while the other tab stays in the call.
import { describe, expect, it } from 'vitest';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf } from '../harness/calls.ts';
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
