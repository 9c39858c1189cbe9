/**
 * Two answered dialogs joined as one call: a BYE on either side ends the other, a re-INVITE (hold, resume,
 * codec change) on one side is offered to the other and its answer returned, an INFO carrying DTMF reaches the other
 * (info-relay.ts), and an optional limit ends the call from our side (the credit-bound maximum duration).
 */
import type { Party } from '../../core/calls/call-state.ts';
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
   * operator: an operator hung it up (core/calls/hang-up-request.ts).
   */
  readonly cause:
    'normal' | 'max-duration' | 'shutdown' | 'suspended' | 'operator' | 'media-failure' | 'signaling-lost' | 'reconnect-timeout' | 'internal-error';
}

export interface Bridge {
  /** Resolves once both legs are gone. */
  readonly ended: Promise<CallEnd>;
  /** Ends the call from our side (BYE to both legs). */
  hangUp(cause: CallEnd['cause']): void;
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
  },
): Bridge {
  let finish!: (end: CallEnd) => void;
  const ended = new Promise<CallEnd>((resolve) => (finish = resolve));
  let done = false;

  const end = (by: Party, cause: CallEnd['cause'], except?: Dialog, at = new Date()) => {
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
    finish({ by, at, cause });
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

  caller.on('destroy', () => end('caller', 'normal', caller));
  callee.on('destroy', () => end('callee', 'normal', callee));
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

  return { ended, hangUp: (cause) => end('system', cause) };
}
