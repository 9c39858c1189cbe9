// A call that survives its signaling dropping: a tab's WebSocket to drachtio-server goes through a TCP relay the
// test cuts mid-call; signaling waits CALL_RECONNECT_GRACE_SECONDS for the tab (signaling/call/leg-watch.ts).
import { describe, expect, it } from 'vitest';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { useSoftphoneUsers } from '../harness/softphone-users.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

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

  it(
    'a drop that outlasts the grace ends the call: the callee gets a BYE, the record says reconnect-timeout, billed to the loss',
    { timeout: TEST_MS },
    async () => {
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
      } finally {
        relay.refuseConnections(false);
        await aliceTab.close();
        await bobTab.close();
        await relay.stop();
      }
    },
  );
});
