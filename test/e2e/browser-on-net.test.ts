// The softphone's SIP layer in real Chromium: two tabs, two accounts, each registered through our registrar on a real
// drachtio-server over WebSocket with credentials from POST /sip/credentials, calling each other on-net. Browser to
// browser needs no media server (the B2BUA passes the WebRTC SDP through), so real audio (Chromium's fake
// microphone) flows tab to tab over DTLS-SRTP on loopback.
import { describe, expect, it } from 'vitest';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import type { SoftphoneTab } from '../harness/softphone-tab.ts';
import { audioArrives, heardSpeech, useSoftphoneUsers, type SoftphoneUser } from '../harness/softphone-users.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing';
const TEST_MS = 90_000;

describe.skipIf(missing)('softphone in Chromium: on-net calls between two browser tabs', () => {
  const suite = useCallStack({});
  const { finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const users = useSoftphoneUsers(suite);

  type UserWithTab = SoftphoneUser & { readonly tab: SoftphoneTab };

  /** Two users with a registered tab each; every tab opened is closed (unregistered) afterwards, whatever happened. */
  async function withTwoTabs(test: (alice: UserWithTab, bob: UserWithTab, opened: SoftphoneTab[]) => Promise<void>) {
    const opened: SoftphoneTab[] = [];
    const withTab = async (): Promise<UserWithTab> => {
      const user = await users.userWithNumber();
      const tab = await user.openTab();
      opened.push(tab);
      return { ...user, tab };
    };
    try {
      await test(await withTab(), await withTab(), opened);
    } finally {
      for (const tab of opened.reverse()) await tab.close();
    }
  }

  /** `alice` calls `bob`, who answers: connected on the caller's side. */
  async function connect(alice: UserWithTab, bob: UserWithTab) {
    const callId = await alice.tab.run('dial', bob.number);
    const incoming = await bob.tab.run('nextIncoming');
    await bob.tab.run('answer', incoming.id);
    await alice.tab.run('untilState', callId, 'connected');
    return { callId, incoming };
  }

  it('registers over WebSocket with API-issued credentials and unregisters on stop; a wrong password is refused 403', { timeout: TEST_MS }, async () => {
    const user = await users.userWithNumber();
    const settings = await user.settings();
    const bindings = () =>
      suite.database.db.selectFrom('registrations').select(['transport', 'user_agent']).where('username', '=', settings.username).execute();

    const tab = await users.openTab(settings);
    try {
      expect(await bindings()).toEqual([{ transport: 'ws', user_agent: expect.stringMatching(/SIP\.js/) }]);
    } finally {
      await tab.close();
    }
    // The phone's stop() sent REGISTER Expires: 0 before closing the socket: the binding is gone, not left to expire.
    expect(await bindings()).toEqual([]);

    await expect(users.openTab({ ...settings, password: `${settings.password}x` })).rejects.toThrow(/registration refused: 403/);
  });

  it('connects tab to tab with audio both ways, then the caller hangs up; each party has an answered, ended record', { timeout: TEST_MS }, async () => {
    await withTwoTabs(async (alice, bob) => {
      const outgoing = alice.tab.run('dial', bob.number);
      const incoming = await bob.tab.run('nextIncoming');
      // The callee sees the caller's own number (its first DID), not the browser's SIP username.
      expect(incoming).toMatchObject({ direction: 'incoming', state: 'ringing', remoteUser: alice.number });
      const callId = await outgoing;
      await bob.tab.run('answer', incoming.id);
      const [connected] = await Promise.all([alice.tab.run('untilState', callId, 'connected'), bob.tab.run('untilState', incoming.id, 'connected')]);

      // Chromium's fake microphone plays a beep: each side decodes real sound from the other over DTLS-SRTP.
      const [aliceHeard, bobHeard] = await Promise.all([heardSpeech(alice.tab, callId), heardSpeech(bob.tab, incoming.id)]);
      console.log(`[measure] on-net INVITE->connected ${connected.connectedAfterMs} ms (caller's tab, incl. answer); media ${aliceHeard.mediaPath}`);
      console.log(
        `[measure] heard: caller ${aliceHeard.packetsReceived} packets / ${aliceHeard.bytesReceived} bytes / energy ${aliceHeard.totalAudioEnergy.toFixed(3)}, callee ${bobHeard.packetsReceived} / ${bobHeard.bytesReceived} / ${bobHeard.totalAudioEnergy.toFixed(3)}`,
      );
      await alice.tab.run('hangup', callId);
      await Promise.all([alice.tab.run('untilState', callId, 'ended'), bob.tab.run('untilState', incoming.id, 'ended')]);

      const callerRecord = await finishedCdr(alice.accountId);
      expect(callerRecord).toMatchObject({
        direction: 'onnet',
        phase: 'ended',
        sip_status: 200,
        ended_by: 'caller',
        hangup_cause: 'normal',
        to_number: bob.number,
        from_number: alice.number,
        cost: null,
      });
      expect(callerRecord.answered_at).not.toBeNull();
      const calleeRecord = await finishedCdr(bob.accountId);
      expect(calleeRecord).toMatchObject({ direction: 'onnet', phase: 'ended', sip_status: 200, ended_by: 'caller', sip_call_id: callerRecord.sip_call_id });
      expect(calleeRecord.answered_at).not.toBeNull();
    });
  });

  it('the callee declines on one of two tabs: the other stops ringing and the caller hears 603 Decline', { timeout: TEST_MS }, async () => {
    await withTwoTabs(async (alice, bob, opened) => {
      // bob's second tab (another device of the same account, with its own credentials): both ring.
      const laptop = await bob.openTab();
      opened.push(laptop);
      const callId = await alice.tab.run('dial', bob.number);
      const [ringing, ringingToo] = await Promise.all([bob.tab.run('nextIncoming'), laptop.run('nextIncoming')]);
      await bob.tab.run('decline', ringing.id);

      await expect(alice.tab.run('untilState', callId, 'connected')).rejects.toThrow(/failed/);
      const failed = await alice.tab.run('snapshot', callId);
      console.log(`[measure] declined call: caller saw SIP ${failed.endStatus}`);
      expect(failed.endStatus).toBe(603);
      // RFC 3261 §16.7: a 6xx ends the fork; the other device is cancelled rather than left ringing.
      await expect(laptop.run('untilState', ringingToo.id, 'connected')).rejects.toThrow(/failed/);

      for (const accountId of [alice.accountId, bob.accountId]) {
        expect(await finishedCdr(accountId)).toMatchObject({ direction: 'onnet', to_number: bob.number, phase: 'failed', sip_status: 603, answered_at: null });
      }
    });
  });

  it("sends keypad tones as RFC 4733 events in the media: telephone-event survives the B2BUA's offer/answer", { timeout: TEST_MS }, async () => {
    await withTwoTabs(async (alice, bob) => {
      const { callId, incoming } = await connect(alice, bob);
      // Chromium sends tones only when the answer it got (through both legs) accepted telephone-event.
      expect(await alice.tab.run('sendDtmf', callId, '12#')).toBe('12#');
      expect(await bob.tab.run('sendDtmf', incoming.id, '9')).toBe('9');
      await alice.tab.run('hangup', callId);
      await bob.tab.run('untilState', incoming.id, 'ended');
    });
  });

  it('holds and resumes through the B2BUA (re-INVITE relayed both ways); audio flows again after resume', { timeout: TEST_MS }, async () => {
    await withTwoTabs(async (alice, bob) => {
      const { callId, incoming } = await connect(alice, bob);
      await audioArrives(bob.tab, incoming.id);

      await alice.tab.run('hold', callId);
      expect(await alice.tab.run('snapshot', callId)).toMatchObject({ held: true, state: 'connected' });
      // The held side's answer came back through both legs: the caller only sends, the callee only receives.
      expect((await alice.tab.run('inboundAudio', callId)).direction).toBe('sendonly');
      expect((await bob.tab.run('inboundAudio', incoming.id)).direction).toBe('recvonly');

      await alice.tab.run('unhold', callId);
      expect((await alice.tab.run('inboundAudio', callId)).direction).toBe('sendrecv');
      const atResume = await alice.tab.run('inboundAudio', callId);
      await audioArrives(alice.tab, callId, atResume.packetsReceived);
      expect((await bob.tab.run('inboundAudio', incoming.id)).direction).toBe('sendrecv');

      await bob.tab.run('hangup', incoming.id);
      await alice.tab.run('untilState', callId, 'ended');
      expect(await finishedCdr(alice.accountId)).toMatchObject({ direction: 'onnet', phase: 'ended', ended_by: 'callee' });
    });
  });
});
