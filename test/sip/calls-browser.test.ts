// A browser tab (SIP over WebSocket, WebRTC SDP) placing calls through real drachtio-server: with no media server
// configured, a call to a carrier cannot carry audio, so it is refused up front instead of connecting silence.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueBrowserCredentials } from '../../core/accounts/sip-credentials.ts';
import { balanceOf } from '../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { createAccount, credit } from '../harness/billing.ts';
import { callFixtures, UNIT } from '../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { answerChallenge } from '../harness/digest-client.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../harness/signaling.ts';
import { WsSipClient } from '../harness/ws-sip-client.ts';

const WEBRTC_OFFER = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:k2Ze', 'a=ice-pwd:u1bVqX2vQyRk1tYkQ3J1wqzd',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass', 'a=mid:0', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

describe.skipIf(drachtioProvision.via === 'missing')('browser calls over real drachtio-server (WebSocket)', () => {
  let database: TestDatabase;
  let stack: SignalingStack;
  let client: WsSipClient;
  const { carrier, lastCdr } = callFixtures(() => database);

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(database, { CALLER_ID_DEFAULT: '+14155550199' });
    await createRate(database.db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
    client = await WsSipClient.connect(`ws://127.0.0.1:${stack.drachtio.wsPort}`);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
    await database?.close();
  });

  /** Registers a tab the way the softphone does, and returns a way to place a call from it. */
  async function browserTab(accountId: string) {
    const realm = stack.config.sip!.realm;
    const creds = issueBrowserCredentials(stack.config.sip!.secret, accountId, new Date(), 600);
    const aor = `<sip:${creds.username}@${realm}>`;
    const contact = `<sip:${randomUUID().slice(0, 8)}@${client.host};transport=ws>`;
    const registerId = randomUUID();
    const headers = { From: `${aor};tag=${randomUUID().slice(0, 8)}`, To: aor, Contact: contact };
    const challenged = await client.request({ method: 'REGISTER', uri: `sip:${realm}`, callId: registerId, cseq: 1, headers });
    const authorization = answerChallenge({ challenge: challenged.header('WWW-Authenticate') ?? '', method: 'REGISTER', uri: `sip:${realm}`, ...creds });
    expect((await client.request({ method: 'REGISTER', uri: `sip:${realm}`, callId: registerId, cseq: 2, headers: { ...headers, Authorization: authorization } })).status).toBe(200);

    return async (dialled: string) => {
      const uri = `sip:${dialled}@${realm}`;
      const callId = randomUUID();
      const invite = { From: `${aor};tag=${randomUUID().slice(0, 8)}`, To: `<${uri}>`, Contact: contact };
      const body = { type: 'application/sdp', content: WEBRTC_OFFER };
      const challenge = await client.request({ method: 'INVITE', uri, callId, cseq: 1, headers: invite, body });
      expect(challenge.status).toBe(407);
      const proxyAuthorization = answerChallenge({ challenge: challenge.header('Proxy-Authenticate') ?? '', method: 'INVITE', uri, ...creds });
      return client.request({ method: 'INVITE', uri, callId, cseq: 2, headers: { ...invite, 'Proxy-Authorization': proxyAuthorization }, body });
    };
  }

  it('refuses a browser call to a carrier with 488 media-unavailable, records it, holds nothing', async () => {
    const accountId = await createAccount(database.db);
    await credit(database.db, accountId, 5 * UNIT);
    // A carrier is there and would answer: the refusal is about media, not routing.
    await carrier('carrier-rtp', 'uas-answer.xml', { timeoutSeconds: 5 });
    const call = await browserTab(accountId);

    const response = await call('+14155550100');
    expect([response.status, response.header('X-Reason')]).toEqual([488, 'media-unavailable']);
    expect(await lastCdr(accountId)).toMatchObject({ direction: 'outbound', phase: 'refused', refusal_reason: 'media-unavailable', to_number: '+14155550100' });
    const balance = await balanceOf(database.db, accountId);
    expect([balance.balance, balance.available]).toEqual([5 * UNIT, 5 * UNIT]);
  });
});
