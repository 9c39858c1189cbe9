/**
 * A FreeSWITCH channel that answers a browser's WebRTC offer. The answer has to reach the browser before the channel
 * is up: FreeSWITCH finishes answering (and connects its event socket back to us) only after the DTLS handshake,
 * which needs the browser to hold the answer. So the SDP is returned at once and the endpoint follows.
 *
 * drachtio-fsmrf's `connectCaller` does the same, but it also answers the caller itself (a call may only be answered
 * when the callee answers) and it loses the endpoint when the event socket arrives before FreeSWITCH's 200 OK
 * (seen in 1 call of 9 here: the call died after 4 s). This takes the event socket in either order.
 */
import { randomUUID } from 'node:crypto';
import type Mrf from 'drachtio-fsmrf';
import Endpoint from 'drachtio-fsmrf/lib/endpoint.js';

/** drachtio-srf's "no such dialog" for a channel FreeSWITCH already hung up: nothing left to do. */
const ignoreGone = () => undefined;

export interface AnsweringLeg {
  /** FreeSWITCH's answer, for the browser. */
  readonly sdp: string;
  /** The channel, once FreeSWITCH connects back; rejects if it never does. */
  readonly endpoint: Promise<Endpoint>;
  /** Hangs up the channel whether or not its endpoint has arrived. */
  hangUp(): void;
}

/**
 * @example
 * const leg = await answerOffer(ms, browserOffer);
 * await createUAS(req, res, { localSdp: leg.sdp });
 * await (await leg.endpoint).bridge(carrierEndpoint);
 */
export async function answerOffer(ms: Mrf.MediaServer, offer: string, connectBackMs = 4000): Promise<AnsweringLeg> {
  const address = ms.sip.ipv4.udp.address;
  if (address === undefined) throw new Error(`media server ${ms.address} has no SIP address yet`);
  const id = randomUUID();
  ms.pendingConnections.set(id, {});
  const dialog = await ms.srf
    .createUAC(`sip:drachtio@${address}`, {
      // The media server's dialplan hands a call carrying these to drachtio-fsmrf's event-socket listener.
      headers: { 'User-Agent': `drachtio-fsmrf:${id}`, 'X-esl-outbound': `${ms.advertisedAddress}:${ms.advertisedPort}` },
      localSdp: offer,
    })
    .catch((error: unknown) => {
      ms.pendingConnections.delete(id);
      throw error;
    });

  let hungUp = false;
  const endpoint = new Promise<Endpoint>((resolve, reject) => {
    const produce = (conn: unknown) => {
      const created = new Endpoint(conn, dialog, ms, {});
      created.once('ready', () => resolve(created));
    };
    const pending = ms.pendingConnections.get(id);
    if (pending?.conn !== undefined) {
      ms.pendingConnections.delete(id);
      produce(pending.conn);
    } else if (pending !== undefined) {
      pending.fn = produce;
      pending.connTimeout = setTimeout(() => {
        ms.pendingConnections.delete(id);
        if (!hungUp) dialog.destroy(undefined, ignoreGone);
        reject(new Error(`media server ${ms.address} did not connect back within ${connectBackMs} ms`));
      }, connectBackMs);
    }
  });
  // Whoever awaits `endpoint` handles its failure; a leg hung up first must not leave an unhandled rejection.
  endpoint.catch(() => undefined);

  return {
    sdp: dialog.remote.sdp,
    endpoint,
    hangUp() {
      if (hungUp) return;
      hungUp = true;
      const pending = ms.pendingConnections.get(id);
      if (pending !== undefined) {
        clearTimeout(pending.connTimeout);
        ms.pendingConnections.delete(id);
      }
      dialog.destroy(undefined, ignoreGone);
    },
  };
}
