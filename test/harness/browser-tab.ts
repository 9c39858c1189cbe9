/**
 * A browser tab as the softphone is one, over SIP-over-WebSocket: registered with short-lived browser credentials,
 * offering WebRTC SDP (DTLS-SRTP, ICE) when it calls.
 */
import { randomUUID } from 'node:crypto';
import { issueBrowserCredentials } from '../../core/accounts/sip-credentials.ts';
import type { SipConfig } from '../../config.ts';
import { answerChallenge } from './digest-client.ts';
import type { SipResponse, WsSipClient } from './ws-sip-client.ts';

export const WEBRTC_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
  'c=IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
  'a=ice-ufrag:k2Ze',
  'a=ice-pwd:u1bVqX2vQyRk1tYkQ3J1wqzd',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

export interface BrowserTab {
  /** Places a call from the tab (answering the 407 challenge) and resolves with the final response. */
  call(dialled: string): Promise<SipResponse>;
}

/** Registers a tab for `accountId` on `client`'s connection; throws unless the registrar answers 200. */
export async function registerBrowserTab(client: WsSipClient, sip: SipConfig, accountId: string): Promise<BrowserTab> {
  const creds = issueBrowserCredentials(sip.secret, accountId, new Date(), 600);
  const aor = `<sip:${creds.username}@${sip.realm}>`;
  const contact = `<sip:${randomUUID().slice(0, 8)}@${client.host};transport=ws>`;
  const registerId = randomUUID();
  const registrar = `sip:${sip.realm}`;
  const headers = { From: `${aor};tag=${randomUUID().slice(0, 8)}`, To: aor, Contact: contact };
  const challenged = await client.request({ method: 'REGISTER', uri: registrar, callId: registerId, cseq: 1, headers });
  const authorization = answerChallenge({ challenge: challenged.header('WWW-Authenticate') ?? '', method: 'REGISTER', uri: registrar, ...creds });
  const registered = await client.request({
    method: 'REGISTER',
    uri: registrar,
    callId: registerId,
    cseq: 2,
    headers: { ...headers, Authorization: authorization },
  });
  if (registered.status !== 200) throw new Error(`browser tab not registered: ${registered.status} ${registered.reason}`);

  return {
    async call(dialled) {
      const uri = `sip:${dialled}@${sip.realm}`;
      const callId = randomUUID();
      const invite = { From: `${aor};tag=${randomUUID().slice(0, 8)}`, To: `<${uri}>`, Contact: contact };
      const body = { type: 'application/sdp', content: WEBRTC_OFFER };
      const challenge = await client.request({ method: 'INVITE', uri, callId, cseq: 1, headers: invite, body });
      if (challenge.status !== 407) return challenge;
      const proxyAuthorization = answerChallenge({ challenge: challenge.header('Proxy-Authenticate') ?? '', method: 'INVITE', uri, ...creds });
      return client.request({ method: 'INVITE', uri, callId, cseq: 2, headers: { ...invite, 'Proxy-Authorization': proxyAuthorization }, body });
    },
  };
}
