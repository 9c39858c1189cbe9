/**
 * Two answered dialogs joined as one call: a BYE on either side ends the other, a re-INVITE (hold, resume,
 * codec change) on one side is offered to the other and its answer returned, an INFO carrying DTMF reaches the other
 * (info-relay.ts), a REFER goes to the call's transfer handler (transfer.ts), and an optional limit ends the call from
 * our side (the credit-bound maximum duration).
 */
import type { Party } from '../../core/calls/call-state.ts';
import { TRANSFERRED_CAUSE } from '../../core/calls/transfer.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import type { Dialog } from './dial.ts';
import { relayInfo } from './info-relay.ts';
import { isWebSocketLeg, watchLeg, type LegWatch } from './leg-watch.ts';
import { dialogEnded, hangUpDialog, type SrfRequest, type SrfResponse } from '../srf.ts';

export interface CallEnd {
  readonly by: Party;
  readonly at: Date;
  /**
   * signaling-lost: the drachtio connection carrying both legs dropped (signaling/app.ts); reconnect-timeout: a
   * browser leg's WebSocket was lost and it did not come back within the grace (leg-watch.ts), billed to the loss;
   * operator: an operator hung it up (core/calls/hang-up-request.ts); transferred: `by` transferred the other party
   * elsewhere ({@link Bridge.handOver}), and the call goes on as `continued`.
   */
  readonly cause:
    | 'normal'
    | 'max-duration'
    | 'shutdown'
    | 'suspended'
    | 'operator'
    | 'media-failure'
    | 'signaling-lost'
    | 'reconnect-timeout'
    | 'internal-error'
    | typeof TRANSFERRED_CAUSE;
  /** A transferred call's new bridge: settles when that call is over (the media path must last until then). */
  readonly continued?: Promise<void>;
}

/** Which of the bridge's two dialogs. */
export type Side = 'caller' | 'callee';

/** A REFER one side sent in its dialog (transfer.ts answers it). */
export type ReferHandler = (from: Side, req: SrfRequest, res: SrfResponse) => void;

export interface Bridge {
  /** Resolves once both legs are gone. */
  readonly ended: Promise<CallEnd>;
  /** Ends the call from our side (BYE to both legs). */
  hangUp(cause: Exclude<CallEnd['cause'], typeof TRANSFERRED_CAUSE>): void;
}

/** Two dialogs bridged by {@link bridgeDialogs}: a transfer can hand one of them over to a new call. */
export interface DialogBridge extends Bridge {
  /**
   * Ends the call as transferred by the other side: BYE to that side only; `keep`'s dialog stays up, let go of by
   * this bridge for the one `continued` brings. Returns it, or undefined when the call already ended.
   */
  handOver(keep: Side, continued: Promise<void>): Dialog | undefined;
}

/** Answers a party's re-INVITE: through the media server when there is one, else by offering it to the other party. */
function relayModify(from: Dialog, to: Dialog, answer: ((sdp: string) => Promise<string>) | undefined, heard: () => void): void {
  from.on('modify', (req: SrfRequest, res: SrfResponse) => {
    heard();
    (answer ?? ((sdp: string) => to.modify(sdp)))(req.body).then(
      (answer: string) => res.send(200, { body: answer }),
      () => res.send(488, 'Not Acceptable Here', {}),
    );
  });
}

/**
 * @example
 * const bridge = bridgeDialogs(callerDialog, calleeDialog, { maxSeconds: 300 });
 * const { by, cause } = await bridge.ended;
 */
export function bridgeDialogs(
  caller: Dialog,
  callee: Dialog,
  options: {
    maxSeconds?: number;
    media?: Pick<MediaPath, 'reoffer' | 'lost' | 'sendDtmf'>;
    /** How long a browser leg whose WebSocket is lost is waited for (CALL_RECONNECT_GRACE_SECONDS), and how often it is probed. */
    reconnect?: { graceMs: number; probeMs: number };
    /** Answers a REFER; none: refused 403 (drachtio-srf would otherwise accept it with a 200 and nothing done). */
    onRefer?: ReferHandler;
  },
): DialogBridge {
  let finish!: (end: CallEnd) => void;
  const endedCall = new Promise<CallEnd>((resolve) => (finish = resolve));
  let done = false;

  const end = (by: Party, cause: CallEnd['cause'], except?: Dialog, at = new Date(), continued?: Promise<void>) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    for (const { watch, grace } of watches.values()) {
      watch.stop();
      clearTimeout(grace);
    }
    // Both legs are torn down together: destroying one and then the other can leave the second hanging.
    // A leg that already ended gets no BYE. With a callback, not the promise: a leg whose own BYE crosses ours is
    // gone by the time drachtio answers "no such dialog", which must not become an unhandled rejection.
    for (const dialog of [caller, callee]) if (dialog !== except) hangUpDialog(dialog);
    finish({ by, at, cause, ...(continued === undefined ? {} : { continued }) });
  };

  // A browser leg whose WebSocket is lost keeps the call for the grace (the other party stays connected), waiting
  // for the tab to reconnect and re-INVITE; past it the call ends, billed to the moment the leg was lost.
  const watches = new Map<Dialog, { watch: LegWatch; grace?: ReturnType<typeof setTimeout> }>();
  const reconnect = options.reconnect;
  if (reconnect !== undefined) {
    for (const dialog of [caller, callee].filter(isWebSocketLeg)) {
      const entry: { watch: LegWatch; grace?: ReturnType<typeof setTimeout> } = {
        watch: watchLeg(dialog, reconnect.probeMs, {
          lost: (at) =>
            (entry.grace = setTimeout(() => end('system', 'reconnect-timeout', undefined, at), Math.max(0, at.getTime() + reconnect.graceMs - Date.now()))),
          back: () => clearTimeout(entry.grace),
        }),
      };
      watches.set(dialog, entry);
    }
  }
  const heard = (dialog: Dialog) => () => watches.get(dialog)?.watch.heard();

  const hungUpBy = { caller: () => end('caller', 'normal', caller), callee: () => end('callee', 'normal', callee) };
  caller.on('destroy', hungUpBy.caller);
  callee.on('destroy', hungUpBy.callee);
  for (const [from, dialog] of [
    ['caller', caller],
    ['callee', callee],
  ] as const) {
    dialog.on('refer', (req: SrfRequest, res: SrfResponse) => {
      if (options.onRefer === undefined) return res.send(403, 'Forbidden', { headers: { 'X-Reason': 'transfer-not-allowed' } });
      options.onRefer(from, req, res);
    });
  }
  const reoffer = options.media?.reoffer;
  relayModify(caller, callee, reoffer && ((sdp) => reoffer('caller', sdp)), heard(caller));
  relayModify(callee, caller, reoffer && ((sdp) => reoffer('callee', sdp)), heard(callee));
  relayInfo(caller, callee, 'callee', options.media);
  relayInfo(callee, caller, 'caller', options.media);
  options.media?.lost?.then(
    () => end('system', 'media-failure'),
    () => undefined,
  );

  const timer = options.maxSeconds === undefined ? undefined : setTimeout(() => end('system', 'max-duration'), options.maxSeconds * 1000);
  // A leg whose BYE was handled before these listeners existed (it can come in the same read as the ACK that
  // completed the answer) emitted 'destroy' to nobody: end the call now rather than never.
  if (dialogEnded(caller)) end('caller', 'normal', caller);
  else if (dialogEnded(callee)) end('callee', 'normal', callee);

  return {
    ended: endedCall,
    hangUp: (cause) => end('system', cause),
    handOver(keep, continued) {
      if (done) return undefined;
      const kept = keep === 'caller' ? caller : callee;
      // The kept dialog is the next bridge's: none of this one's handlers may answer for it any more.
      kept.removeListener('destroy', hungUpBy[keep]);
      for (const event of ['modify', 'info', 'refer']) kept.removeAllListeners(event);
      end(keep === 'caller' ? 'callee' : 'caller', TRANSFERRED_CAUSE, kept, new Date(), continued);
      return kept;
    },
  };
}
