// Tab to tab across NATs needs TURN. Two softphone tabs in real Chromium allowed only relayed media (iceTransportPolicy
// 'relay': no direct path at all) reach each other through a real coturn, with the short-lived TURN credentials
// POST /sip/credentials issues (WEBRTC_ICE_URLS, WEBRTC_TURN_SECRET): if the credentials were wrong there would be
// no path and no audio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import type { SoftphoneTab } from '../harness/softphone-tab.ts';
import { heardSpeech, useSoftphoneUsers, type SoftphoneUser } from '../harness/softphone-users.ts';
import { startTurnServer, turnBinary, type TurnServer } from '../harness/turn.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing' || turnBinary === undefined;

describe.skipIf(missing)('softphone in Chromium: tab to tab through a real TURN server', () => {
  let turn: TurnServer | undefined;
  beforeAll(async () => {
    turn = await startTurnServer('dialo.test');
  });
  afterAll(async () => {
    await turn?.stop();
  });
  const suite = useCallStack(() => ({ WEBRTC_ICE_URLS: turn!.url, WEBRTC_TURN_SECRET: turn!.secret }));
  const users = useSoftphoneUsers(suite);

  it('with relay-only ICE both tabs hear each other through TURN, on credentials the API issued', { timeout: 90_000 }, async () => {
    const tabs: SoftphoneTab[] = [];
    const relayOnly = async (user: SoftphoneUser) => {
      const tab = await users.openTab({ ...(await user.settings()), iceTransportPolicy: 'relay' });
      tabs.push(tab);
      return tab;
    };
    try {
      const bob = await users.userWithNumber();
      const [aliceTab, bobTab] = [await relayOnly(await users.userWithNumber()), await relayOnly(bob)];
      const callId = await aliceTab.run('dial', bob.number);
      const incoming = await bobTab.run('nextIncoming');
      await bobTab.run('answer', incoming.id);
      await aliceTab.run('untilState', callId, 'connected');
      const [aliceHeard, bobHeard] = await Promise.all([heardSpeech(aliceTab, callId), heardSpeech(bobTab, incoming.id)]);
      console.log(`[measure] tab to tab through TURN: ${aliceHeard.mediaPath}; heard ${aliceHeard.packetsReceived} / ${bobHeard.packetsReceived} packets`);
      expect(aliceHeard.mediaPath).toMatch(/^relay /);
      expect(bobHeard.mediaPath).toMatch(/^relay /);
      await aliceTab.run('hangup', callId);
      await bobTab.run('untilState', incoming.id, 'ended');
    } finally {
      for (const tab of tabs) await tab.close();
    }
  });
});
