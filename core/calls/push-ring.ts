/**
 * A call to one of our numbers whose owner has no live device (issue 16): rather than 480 at once, the owner's
 * browsers are woken by Web Push and the caller hears ringing for up to PUSH_RING_SECONDS. This is the step's
 * decision, free of SIP and of timers: the INVITE flow (signaling/invite/push-ring.ts) feeds it what happened and does
 * what it says.
 *
 * ```
 * pushed, none delivered ──▶ offline (480 at once, as without push)
 * pushed, one or more delivered ──▶ ring the caller (180), wait          [setup ──push──▶ waking]
 *   a REGISTER of the owner accepted, a device live now ──▶ ring it  [waking ──dial──▶ dialing]
 *   a REGISTER, yet no device live (it removed its binding) ──▶ wait on
 *   the deadline ──▶ 480, missed with push                            [waking ──no-device-woke──▶ failed]
 *   the caller's CANCEL ──▶ 487                                         [waking ──cancel──▶ cancelled]
 * ```
 */
import type { PushCounts } from '../push/incoming-call-push.ts';
import { nextState, type CallState, type InPhase } from './call-state.ts';

export type PushRingEvent =
  | { readonly type: 'pushed'; readonly counts: PushCounts }
  | { readonly type: 'registered'; readonly liveDevices: number }
  | { readonly type: 'deadline' }
  | { readonly type: 'cancel' };

export type PushRingStep =
  /** No push reached a push service: nothing can wake, so the call is refused offline as it always was. */
  | { readonly next: 'offline' }
  /** Tell the caller it rings (180) and wait for a registration, the deadline or a CANCEL. */
  | { readonly next: 'ring-caller'; readonly state: InPhase<'waking'> }
  | { readonly next: 'wait' }
  /** A device is live: ring the owner's devices as any call to the number does. */
  | { readonly next: 'ring-devices' }
  /** Terminal: answer the caller (480 missed-with-push, or 487) and record `state`. */
  | { readonly next: 'end'; readonly state: InPhase<'failed'> | InPhase<'cancelled'> };

/**
 * @example
 * let state: CallState = { phase: 'setup' };
 * const step = pushRingStep(state, { type: 'pushed', counts: { delivered: 1, gone: 0, failed: 0 } }); // ring-caller
 */
export function pushRingStep(state: CallState, event: PushRingEvent): PushRingStep {
  switch (event.type) {
    case 'pushed':
      return event.counts.delivered === 0
        ? { next: 'offline' }
        : { next: 'ring-caller', state: nextState(state, { type: 'push', pushed: event.counts.delivered }) };
    case 'registered':
      return event.liveDevices > 0 ? { next: 'ring-devices' } : { next: 'wait' };
    case 'deadline':
      return { next: 'end', state: nextState(state, { type: 'no-device-woke' }) };
    case 'cancel':
      return { next: 'end', state: nextState(state, { type: 'cancel' }) };
  }
}
