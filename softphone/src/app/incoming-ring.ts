/**
 * How an incoming call makes itself known while it rings: the ringtone, a notification when nobody sees the tab
 * (call-notifications.ts), and the notification's Answer and Decline, which act on the call they name as the call
 * view's buttons do. A call waiting during another call rings with the soft call-waiting tone and notifies as "Call
waiting". A page a notification opened (`#answer=<callId>`) answers that call when it arrives.
 */
import type { Call } from '../phone/call.ts';
import { closeCallNotifications, notifyRinging } from './call-notifications.ts';
import { CALL_WAITING, RING, startRingtone } from './ringtone.ts';
import type { CallNotificationClick, NotificationAction } from './service-worker.ts';

export interface IncomingRing {
  /** Rings for `call` until it stops ringing in (answered, declined, cancelled by the caller); `waiting`: during another call. */
  ring(call: Call, from: string, waiting?: boolean): void;
  /** A notification's Answer or Decline. */
  act(click: CallNotificationClick): void;
}

/** `press`: what the Answer (and hold) or Decline button of the view showing `call` does. */
export function createIncomingRing(press: (action: NotificationAction, call: Call) => void, answerOnArrival: string | undefined): IncomingRing {
  let ringing: Call | undefined;
  let awaited = answerOnArrival;
  return {
    ring(call, from, waiting = false) {
      if (call.direction !== 'incoming' || call.state !== 'ringing') return;
      ringing = call;
      const stopTone = startRingtone(waiting ? CALL_WAITING : RING);
      const callId = call.recordId;
      const raised = callId === undefined ? Promise.resolve() : notifyRinging({ callId, from, waiting }).catch(() => undefined);
      const stop = call.onStateChange((state) => {
        if (state === 'ringing') return;
        stop();
        stopTone();
        if (callId !== undefined) void raised.then(() => closeCallNotifications(callId)).catch(() => undefined);
        if (ringing === call) ringing = undefined;
      });
      if (awaited !== undefined && awaited === call.recordId) {
        awaited = undefined;
        press('answer', call);
      }
    },
    act({ action, callId }) {
      if (ringing !== undefined && ringing.recordId === callId) press(action, ringing);
      else if (action === 'answer') awaited = callId;
    },
  };
}
