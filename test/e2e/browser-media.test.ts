// The softphone in real Chromium calling carriers, and called by them, through real FreeSWITCH (infra/freeswitch) and
// real drachtio-server. The carrier is sipp echoing whatever audio reaches it (-rtp_echo), so a tab that decodes sound
// has had its own microphone travel browser -> FreeSWITCH -> carrier -> FreeSWITCH -> browser: both media legs and
// the bridge between them work, in both directions, over DTLS-SRTP on the browser side and plain RTP on the carrier's.
// Keys cross too: the tab's RFC 4733 events reach the carrier, and a carrier's SIP INFO keys are played to the tab.
import { describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { credit } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { telephoneEventsSent } from '../harness/esl.ts';
import { freeUdpPort } from '../harness/external.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { runSipp, sippBinary, type SippRun } from '../harness/sipp.ts';
import type { SoftphoneTab } from '../harness/softphone-tab.ts';
import { audioArrives, heardSpeech, useSoftphoneUsers } from '../harness/softphone-users.ts';
import { listenForTelephoneEvents } from '../harness/telephone-events.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const TEST_MS = 90_000;
/** Carriers send from here (an inbound trunk's allowed source); the tabs and FreeSWITCH are on 127.0.0.1. */
const CARRIER = '127.0.0.2';

/** The telephone-event payload type the carrier's answer declares (test/sipp/uas-answer-telephone-events-at-key.xml). */
const EVENT_PT = 101;

/** sipp sends back every RTP packet it receives, on its own media port. */
const echoAudio = async () => ['-rtp_echo', '-mp', String(await freeUdpPort())];

describe.skipIf(missing)('softphone in Chromium <-> carriers through FreeSWITCH', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const refresh = refreshOf(() => suite.stack);
  const { carrier, finishedCdr } = callFixtures(() => suite.database, refresh);
  const { inboundTrunk, finishedCallTo } = inboundFixtures(() => suite.database);
  const users = useSoftphoneUsers(suite);

  const hangUp = async (tab: SoftphoneTab, callId: string) => {
    await tab.run('hangup', callId);
    await tab.run('untilState', callId, 'ended');
  };

  /** The carrier's scenario ran to its end (it saw every message it expected); then the call's closed record. */
  async function carrierSawItAll(peer: { readonly done: Promise<SippRun> }, accountId: string) {
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    return finishedCdr(accountId);
  }

  /** A user with credit and a registered tab, and a carrier running `scenario` that echoes the audio it gets. */
  async function callingACarrier(scenario: string) {
    const user = await users.userWithNumber();
    await credit(suite.database.db, user.accountId, 10 * UNIT);
    const peer = await carrier('carrier-echo', scenario, { extraArgs: await echoAudio() });
    return { user, peer, tab: await user.openTab() };
  }

  it(
    'a tab calls a carrier: the carrier is offered G.711, the tab hears its own voice back, hold and resume work, the call is billed',
    { timeout: TEST_MS },
    async () => {
      const { user, peer, tab } = await callingACarrier('uas-answer-expect-rtp-offer.xml');
      try {
        const callId = await tab.run('dial', '+14155550100');
        const connected = await tab.run('untilState', callId, 'connected');
        const heard = await heardSpeech(tab, callId);
        console.log(
          `[measure] browser->carrier via FreeSWITCH: INVITE->connected ${connected.connectedAfterMs} ms; echoed audio ${heard.packetsReceived} packets, energy ${heard.totalAudioEnergy.toFixed(3)}; ${heard.mediaPath}`,
        );

        // Hold is the browser's re-INVITE, answered by its own FreeSWITCH channel: the carrier's leg is not disturbed.
        await tab.run('hold', callId);
        expect((await tab.run('inboundAudio', callId)).direction).toBe('sendonly');
        await tab.run('unhold', callId);
        expect((await tab.run('inboundAudio', callId)).direction).toBe('sendrecv');
        await audioArrives(tab, callId, (await tab.run('inboundAudio', callId)).packetsReceived);
        await hangUp(tab, callId);
      } finally {
        await tab.close();
      }
      const cdr = await carrierSawItAll(peer, user.accountId);
      expect(cdr).toMatchObject({
        direction: 'outbound',
        phase: 'ended',
        ended_by: 'caller',
        to_number: '+14155550100',
        from_number: user.number,
        cost: 0.6 * UNIT,
      });
      // FreeSWITCH scored the audio it carried both ways (a clean loopback: near the E-model's top); the record keeps it.
      console.log(`[measure] browser->carrier MOS ${cdr.mos}`);
      // A valid E-model score was recorded; how high depends on the box's load (jitter), so it is measured, not asserted
      // (4.4 on a quiet box, 2.6 with the CPU shared by other suites).
      expect(cdr.mos).toBeGreaterThanOrEqual(1);
      expect(cdr.mos).toBeLessThanOrEqual(5);
    },
  );

  it("a carrier's early media (183 with SDP) is heard in the tab before the answer; billing starts at the answer", { timeout: TEST_MS }, async () => {
    const { user, peer, tab } = await callingACarrier('uas-early-media-then-answer.xml');
    try {
      const callId = await tab.run('dial', '+14155550101');
      // The carrier answers 5 s after its 183: audio before that came through the early media path.
      await audioArrives(tab, callId);
      expect(await tab.run('snapshot', callId)).toMatchObject({ state: 'ringing' });
      await tab.run('untilState', callId, 'connected');
      await hangUp(tab, callId);
    } finally {
      await tab.close();
    }
    const cdr = await carrierSawItAll(peer, user.accountId);
    expect(cdr).toMatchObject({ direction: 'outbound', phase: 'ended', ended_by: 'caller', cost: 0.6 * UNIT });
    expect(cdr.answered_at!.getTime() - cdr.started_at.getTime()).toBeGreaterThanOrEqual(5000);
  });

  it(
    "a carrier calls the tab's number: the tab rings with no offer, offers WebRTC in its answer (FreeSWITCH answers in the ACK), hears the carrier, and the carrier hangs up",
    { timeout: TEST_MS },
    async () => {
      const user = await users.userWithNumber();
      await inboundTrunk('carrier-in', [`${CARRIER}/32`]);
      // The node's routing cache learns of the new trunk now, not at its next poll (else 403 source-not-allowed).
      await refresh();
      const tab = await user.openTab();
      try {
        const call = runSipp({
          scenario: 'uac-carrier-call-expect-200.xml',
          target: suite.stack.target,
          localAddress: CARRIER,
          fields: [`${user.number};5000`],
          extraArgs: await echoAudio(),
        });
        // A carrier that ends first (refused, or never sent) fails the test with its log rather than a silent wait.
        const incoming = await Promise.race([
          tab.run('nextIncoming'),
          call.then((run) => {
            throw new Error(`the carrier's call ended before the tab rang (sipp exit ${run.code}):\n${run.log}`);
          }),
        ]);
        expect(incoming).toMatchObject({ state: 'ringing', remoteUser: '+14155550123' });
        await tab.run('answer', incoming.id);
        await tab.run('untilState', incoming.id, 'connected');
        const heard = await heardSpeech(tab, incoming.id);
        console.log(
          `[measure] carrier->browser via FreeSWITCH: echoed audio ${heard.packetsReceived} packets, energy ${heard.totalAudioEnergy.toFixed(3)}; ${heard.mediaPath}`,
        );
        const carrierRun = await call;
        expect(carrierRun.code, carrierRun.log).toBe(0);
        await tab.run('untilState', incoming.id, 'ended');
      } finally {
        await tab.close();
      }
      expect(await finishedCallTo(user.number)).toMatchObject({
        direction: 'inbound',
        account_id: user.accountId,
        phase: 'ended',
        ended_by: 'caller',
        sip_status: 200,
        media_server: 'freeswitch 127.0.0.1',
      });
    },
  );

  it('a tab presses 1 9 #: the carrier receives exactly those keys as RFC 4733 events', { timeout: TEST_MS }, async () => {
    const user = await users.userWithNumber();
    await credit(suite.database.db, user.accountId, 10 * UNIT);
    // The carrier's scenario requires telephone-event in FreeSWITCH's offer and points its media at this socket.
    const events = await listenForTelephoneEvents(EVENT_PT);
    const peer = await carrier('carrier-keys', 'uas-answer-telephone-events-at-key.xml', { extraArgs: ['-key', 'rtp_port', String(events.port)] });
    const tab = await user.openTab();
    try {
      const callId = await tab.run('dial', '+14155550100');
      await tab.run('untilState', callId, 'connected');
      // The tab's RTCDTMFSender says which tones it played: telephone-event was negotiated with FreeSWITCH.
      expect(await tab.run('sendDtmf', callId, '19#')).toBe('19#');
      await vi.waitFor(
        () => {
          if (events.keys().length < 3) throw new Error(`keys so far: "${events.keys()}" in ${events.packets()} RTP packets`);
        },
        { timeout: 10_000, interval: 100 },
      );
      await hangUp(tab, callId);
    } finally {
      await tab.close();
      await events.close();
    }
    expect(events.keys()).toBe('19#');
    expect(await carrierSawItAll(peer, user.accountId)).toMatchObject({ phase: 'ended', ended_by: 'caller', media_server: 'freeswitch 127.0.0.1' });
  });

  it(
    'a carrier presses a key as SIP INFO: FreeSWITCH plays it to the tab as RFC 4733 events; an INFO that is not DTMF gets 415 and the call goes on',
    { timeout: TEST_MS },
    async () => {
      const user = await users.userWithNumber();
      await credit(suite.database.db, user.accountId, 10 * UNIT);
      const peer = await carrier('carrier-info', 'uas-answer-then-send-dtmf-info.xml');
      const tab = await user.openTab();
      const { port, secret } = media.server.esl;
      try {
        const callId = await tab.run('dial', '+14155550100');
        await tab.run('untilState', callId, 'connected');
        // What FreeSWITCH sent on each channel: the browser's (Opus) played the key, the carrier's (G.711) nothing.
        const channels = await vi.waitFor(
          async () => {
            const sent = await telephoneEventsSent(port, secret);
            if (!sent.some((channel) => channel.codec === 'opus' && channel.sent > 0)) throw new Error(`no events played yet: ${JSON.stringify(sent)}`);
            return sent;
          },
          { timeout: 15_000, interval: 250 },
        );
        expect(channels.filter((channel) => channel.codec !== 'opus').map((channel) => channel.sent)).toEqual([0]);
        await hangUp(tab, callId);
      } finally {
        await tab.close();
      }
      // The carrier's run checked the 415 (with Accept naming the DTMF types) and the 200 to its DTMF INFO.
      const cdr = await carrierSawItAll(peer, user.accountId);
      expect(cdr).toMatchObject({ phase: 'ended', ended_by: 'caller' });
    },
  );
});
