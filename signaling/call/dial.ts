/**
 * Placing the B leg of a B2BUA call with drachtio-srf, and what a failed attempt means. Kept apart from the call
 * flows so that failover (outbound) and forking (inbound) share one way of dialling and cancelling.
 */
import type Srf from 'drachtio-srf';
import type { SrfRequest } from '../srf.ts';
import { holdInfo } from './info-relay.ts';

export type Dialog = Srf.Dialog;

export interface DialTarget {
  /** Request-URI of the outgoing INVITE. */
  readonly uri: string;
  /** Next hop when it differs from the Request-URI (a trunk's address, a WebSocket client's connection). */
  readonly proxy?: string;
  /** Credentials answered when the far end challenges (a carrier's digest auth). */
  readonly auth?: { readonly username: string; readonly password: string };
  readonly headers?: Record<string, string>;
}

export class DialFailed extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`far end answered ${status} ${reason}`);
    this.name = 'DialFailed';
  }
}

export interface DialAttempt {
  /** Resolves with the answered dialog; rejects with {@link DialFailed}. */
  readonly answered: Promise<Dialog>;
  /**
   * Cancels the attempt if it is still ringing (CANCEL); a no-op once it has a final answer. Before any provisional
   * response the attempt fails at once with 487: no CANCEL may be sent yet (RFC 3261 §9.1), and a far end that never
   * answered (a TLS peer whose certificate was refused, a silent host) would otherwise hold it until Timer B, 32 s.
   * A 2xx that still comes is hung up by drachtio (the CANCEL was asked for): test/signaling/invite/calls.test.ts.
   */
  cancel(): void;
}

/** What drachtio-srf's createUAC resolves with when the INVITE had no offer (`noAck`): the 2xx's offer, ACK pending. */
interface OfferInAnswer {
  readonly sdp: string;
  ack(answer: string): Promise<Dialog>;
  destroy(): Promise<void>;
}

/**
 * The offer to send: SDP, or none along with how to answer the offer the callee then makes in its 2xx (the ACK
 * carries the answer, RFC 3261 §13.2.1).
 */
export type DialOffer = { readonly sdp: string } | { readonly answerOffer: (offer: string) => Promise<string> };

/** An answered leg keeps the INFO it sends until it is bridged (info-relay.ts). */
function holding(dialog: Dialog): Dialog {
  holdInfo(dialog);
  return dialog;
}

/**
 * Sends an INVITE with the offer. Provisional responses are reported so the caller's leg can ring.
 * @example
 * const attempt = dial(srf, { uri: 'sip:+14155550100@carrier.example' }, { sdp: offer }, (status) => res.send(status));
 * const dialog = await attempt.answered;
 */
export function dial(srf: Srf, target: DialTarget, offer: DialOffer, onProvisional: (status: number, sdp: string | undefined) => void): DialAttempt {
  let request: SrfRequest | undefined;
  let cancelled = false;
  let settled = false;
  let provisional = false;
  let abandon: (failure: DialFailed) => void = () => undefined;
  const abandoned = new Promise<never>((_, reject) => (abandon = reject));
  abandoned.catch(() => undefined);
  const reached = srf
    .createUAC(
      target.uri,
      {
        ...('sdp' in offer ? { localSdp: offer.sdp } : { noAck: true }),
        headers: target.headers ?? {},
        ...(target.proxy ? { proxy: target.proxy } : {}),
        ...(target.auth ? { auth: { ...target.auth } } : {}),
      },
      {
        // drachtio-srf calls cbRequest(error, request) (lib/srf.js), not cbRequest(request) as its typings say.
        cbRequest: (_error: unknown, sent?: SrfRequest) => {
          if (sent === undefined) return;
          request = sent;
          if (cancelled) request.cancel(() => undefined);
        },
        cbProvisional: (response) => {
          provisional = true;
          onProvisional(response.status, response.body || undefined);
        },
      },
    )
    .then(
      async (dialog) => {
        settled = true;
        if ('sdp' in offer) return holding(dialog);
        // drachtio-srf resolves a noAck INVITE with the 2xx's offer and the ACK still to send (typed as a Dialog).
        const pending = dialog as unknown as OfferInAnswer;
        let answer: string;
        try {
          answer = await offer.answerOffer(pending.sdp);
        } catch (error) {
          await pending.destroy().catch(() => undefined);
          // The answerer's own refusal (an SRTP trunk's plain offer) keeps its reason.
          throw error instanceof DialFailed ? error : new DialFailed(488, 'offer in answer not acceptable');
        }
        return holding(await pending.ack(answer));
      },
      (error: { status?: number; reason?: string; message?: string }) => {
        settled = true;
        throw new DialFailed(error.status ?? 500, error.reason ?? error.message ?? 'no answer');
      },
    );
  const answered = Promise.race([reached, abandoned]);
  reached.catch(() => undefined);
  return {
    answered,
    cancel() {
      if (settled || cancelled) return;
      cancelled = true;
      request?.cancel(() => undefined);
      if (!provisional) abandon(new DialFailed(487, 'abandoned before any answer'));
    },
  };
}
