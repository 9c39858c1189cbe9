/**
 * A browser tab as the softphone is one, over SIP-over-WebSocket: registered with short-lived browser credentials,
 * offering WebRTC SDP (DTLS-SRTP, ICE) when it calls.
 */
import { randomUUID } from 'node:crypto';
import { issueBrowserCredentials } from '../../core/accounts/sip-credentials.ts';
import type { SipConfig } from '../../config.ts';
import { answerChallenge } from './digest-client.ts';
import type { SipRequest, SipResponse, WsSipClient } from './ws-sip-client.ts';

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
  /** Ends a call `call` answered 200: a BYE in its dialog; resolves with the BYE's response. */
  hangUp(answered: SipResponse): Promise<SipResponse>;
}

export interface AnsweredCalls {
  /** The first INVITE that rang the tab, once its 200 was ACKed (the ACK carries FreeSWITCH's answer, if any). */
  readonly answered: Promise<{ readonly invite: SipRequest; readonly ack: SipRequest }>;
  /** The first BYE the tab got (answered 200). */
  readonly hungUp: Promise<SipRequest>;
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
    hangUp(answered) {
      const remote = /<([^>]+)>/.exec(answered.header('Contact') ?? '')?.[1] ?? `sip:${sip.realm}`;
      const headers = { From: answered.header('From') ?? '', To: answered.header('To') ?? '', Contact: contact };
      return client.request({ method: 'BYE', uri: remote, callId: answered.header('Call-ID') ?? '', cseq: 10, headers });
    },
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

/**
 * From now on the tab on `client` answers every INVITE ringing it: 180, then 200 with its WebRTC SDP (its offer when
 * the INVITE has none, as FreeSWITCH rings tabs for carriers' calls), and every BYE with 200. Set up before the tab
 * registers, so no INVITE can come first.
 */
export function answerCalls(client: WsSipClient): AnsweredCalls {
  let invite: SipRequest | undefined;
  let answered!: (call: { invite: SipRequest; ack: SipRequest }) => void;
  let hungUp!: (bye: SipRequest) => void;
  const calls: AnsweredCalls = {
    answered: new Promise((resolve) => (answered = resolve)),
    hungUp: new Promise((resolve) => (hungUp = resolve)),
  };
  client.onRequest((request) => {
    if (request.method === 'INVITE') {
      invite ??= request;
      request.reply(180, 'Ringing');
      const contact = `<sip:tab@${client.host};transport=ws>`;
      request.reply(200, 'OK', { headers: { Contact: contact }, body: { type: 'application/sdp', content: WEBRTC_OFFER } });
    } else if (request.method === 'ACK' && invite !== undefined) {
      answered({ invite, ack: request });
    } else if (request.method === 'BYE') {
      request.reply(200, 'OK');
      hungUp(request);
    }
  });
  return calls;
}
