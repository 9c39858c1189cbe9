// Keys pressed in the softphone reach a carrier: the tab's RFC 4733 telephone-events go to FreeSWITCH over DTLS-SRTP,
// cross its bridge, and leave the carrier's channel as plain RTP events. The carrier is sipp (its scenario requires
// telephone-event in FreeSWITCH's offer) whose answer points the media at a UDP socket this test owns and decodes.
import { describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { credit } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { sippBinary } from '../harness/sipp.ts';
import { useSoftphoneUsers } from '../harness/softphone-users.ts';
import { listenForTelephoneEvents } from '../harness/telephone-events.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const TEST_MS = 90_000;
/** The telephone-event payload type the carrier's answer declares (test/sipp/uas-answer-telephone-events-at-key.xml). */
const EVENT_PT = 101;

describe.skipIf(missing)('DTMF from the softphone to a carrier through FreeSWITCH', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const users = useSoftphoneUsers(suite);

  it('a tab presses 1 9 #: the carrier receives exactly those keys as RFC 4733 events', { timeout: TEST_MS }, async () => {
    const user = await users.userWithNumber();
    await credit(suite.database.db, user.accountId, 10 * UNIT);
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
      await tab.run('hangup', callId);
      await tab.run('untilState', callId, 'ended');
    } finally {
      await tab.close();
      await events.close();
    }
    expect(events.keys()).toBe('19#');
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    expect(await finishedCdr(user.accountId)).toMatchObject({ phase: 'ended', ended_by: 'caller', media_server: 'freeswitch 127.0.0.1' });
  });
});
