// The echo test from the softphone in real Chromium, through real FreeSWITCH (infra/freeswitch) and real
// drachtio-server: the tab dials *43 with no credit, FreeSWITCH answers its WebRTC offer (DTLS-SRTP, Opus) and sends
// the tab's fake microphone back, which the tab decodes as sound. No carrier, no rate, no charge.
import { describe, expect, it } from 'vitest';
import { balanceOf } from '../../core/billing/ledger.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { heardSpeech, useSoftphoneUsers } from '../harness/softphone-users.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing');

describe.skipIf(missing)('the echo test from a tab in Chromium (real FreeSWITCH)', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env);
  const { finishedCdr } = callFixtures(() => suite.database);
  const users = useSoftphoneUsers(suite);

  it('a tab with no credit dials *43 and hears its own microphone back; the call is recorded free, with its MOS', { timeout: 60_000 }, async () => {
    const user = await users.userWithNumber();
    const tab = await user.openTab();
    try {
      const callId = await tab.run('dial', '*43');
      const connected = await tab.run('untilState', callId, 'connected');
      const heard = await heardSpeech(tab, callId);
      console.log(`[measure] browser echo test: INVITE->connected ${connected.connectedAfterMs} ms; echoed audio ${heard.packetsReceived} packets, energy ${heard.totalAudioEnergy.toFixed(3)}; ${heard.mediaPath}`);
      await tab.run('hangup', callId);
      await tab.run('untilState', callId, 'ended');
    } finally {
      await tab.close();
    }
    const cdr = await finishedCdr(user.accountId);
    expect(cdr).toMatchObject({ direction: 'echo', to_number: '*43', phase: 'ended', ended_by: 'caller', sip_status: 200, cost: 0, billable_seconds: 0, media_server: 'freeswitch 127.0.0.1' });
    console.log(`[measure] browser echo test MOS ${cdr.mos}`);
    expect(cdr.mos).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(suite.database.db, user.accountId)).toMatchObject({ balance: 0, available: 0 });
  });
});
