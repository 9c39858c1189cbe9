// A carrier calls a number whose owner has no tab open but a browser subscribed to Web Push: through real
// drachtio-server, real FreeSWITCH (a carrier's RTP to a tab's WebRTC), sipp as the carrier, a push-service stand-in
// that verifies and decrypts the push, and a WebSocket client as the tab the push wakes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerCalls, registerBrowserTab } from '../harness/browser-tab.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf } from '../harness/calls.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { usePushCalls } from '../harness/push-calls.ts';
import { derivedScenario, runSipp, sippBinary } from '../harness/sipp.ts';
import { WsSipClient } from '../harness/ws-sip-client.ts';

const missing = drachtioProvision.via === 'missing' || freeswitchProvision.via === 'missing' || sippBinary === undefined;
/** The carrier's address, on the inbound trunk's list. */
const CARRIER = '127.0.0.2';

describe.skipIf(missing)('a carrier calls a closed app: Web Push wakes it, its tab registers and answers (real FreeSWITCH)', () => {
  const media = useFreeSwitch();
  const push = usePushCalls(60);
  const suite = useCallStack(() => ({ ...media.env(), ...push.env() }), undefined, push.options);
  const { caller } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const { did, inboundTrunk, finishedCallTo } = inboundFixtures(() => suite.database);
  let client: WsSipClient | undefined;
  afterEach(() => client?.close());

  it('sipp hears 180, the stand-in decrypts a push naming no number, the tab registers and answers through the media server: 200, the record answered and ended', async () => {
    await inboundTrunk('carrier-in', [`${CARRIER}/32`]);
    await suite.stack.signaling.refreshCaches();
    const owner = await caller('rosa', 0);
    await did('+14155550170', owner.accountId);
    const path = await push.subscribe(suite.database.db, owner.accountId);

    // The carrier must hear ringing before the answer: the scenario's optional 180 made required.
    const scenario = await derivedScenario('uac-carrier-call-expect-200.xml', (xml) =>
      xml.replace('<recv response="180" optional="true"/>', '<recv response="180"/>'),
    );
    const call = runSipp({ scenario, target: suite.stack.target, localAddress: CARRIER, fields: ['+14155550170;1000'] });
    await vi.waitFor(() => expect(push.pushesTo(path)).toHaveLength(1), { timeout: 10_000 });
    const [received] = push.pushesTo(path);
    const payload = JSON.parse(received!.plaintext) as { type: string; callId: string };
    expect(Object.keys(payload).sort()).toEqual(['callId', 'type']);
    expect(payload.type).toBe('incoming-call');
    for (const number of ['14155550123', '14155550170']) expect(received!.plaintext).not.toContain(number);

    // The push woke the app: its tab connects, registers, and answers what rings it.
    client = await WsSipClient.connect(`ws://127.0.0.1:${suite.stack.drachtio.wsPort}`);
    const answering = answerCalls(client);
    await registerBrowserTab(client, suite.stack.config.sip!, owner.accountId);
    const { invite, ack } = await answering.answered;
    // Rung as FreeSWITCH rings tabs for carriers: no offer in the INVITE, the tab's offer in its 200, the answer in the ACK.
    expect(invite.body).toBe('');
    expect(ack.body).toMatch(/^v=0/);
    expect(invite.header('X-Dialo-Call-Record')).toBe(payload.callId);

    const run = await call;
    expect(run.code, run.log).toBe(0);
    await answering.hungUp;
    const cdr = await finishedCallTo('+14155550170');
    expect(cdr).toMatchObject({
      id: payload.callId,
      direction: 'inbound',
      account_id: owner.accountId,
      phase: 'ended',
      sip_status: 200,
      ended_by: 'caller',
      media_server: 'freeswitch 127.0.0.1',
      cost: null,
    });
    expect(cdr.answered_at).not.toBeNull();
    expect(push.service.refused).toEqual([]);
  });
});
