/**
 * A call's life as an explicit state machine. Every change goes through {@link nextState}, so a call can only be
 * in a state its history allows (no "answered after ended"), and the CDR is written from these states alone.
 *
 * ```
 * setup ──refuse──▶ refused
 *   │ dial    (setup ──cancel──▶ cancelled: the caller gave up before anything was dialled)
 *   │         (setup ──push──▶ waking: no device was live, the callee's browsers were pushed; the caller hears ringing
 *   │          waking ──dial──▶ dialing once a device registers; ──no-device-woke──▶ failed 480 missed-with-push;
 *   │          ──cancel──▶ cancelled)
 *   ▼
 * dialing ──answer──▶ answered ──hangup (by a party, max-duration, shutdown, ...)──▶ ended
 *   │ ▲
 *   │ └─ dial (the next trunk)
 *   ├──attempt-failed (no route left)──▶ failed
 *   ├──stop (an operator ended it)─────▶ failed, by the system (from setup and waking too)
 *   └──cancel (the caller gave up)─────▶ cancelled
 *
 * orphaned (the process carrying the call died; its next start closes the call):
 *   answered ──▶ ended at the last heartbeat, by the system;  setup, dialing ──▶ failed, with no SIP status
 * fault (an internal error of ours while the process lives): the same, cause internal-error, failed ones with 500
 * ```
 * Refusals, failures and cancels are all reached through here: signaling writes no phase of its own.
 */
import type { Refusal } from './refusal.ts';

export type Party = 'caller' | 'callee' | 'system';

export type CallState =
  | { readonly phase: 'setup' }
  | { readonly phase: 'refused'; readonly refusal: Refusal }
  /** No device of the callee was live: its browsers were sent `pushed` pushes, and the caller rings while one wakes. */
  | { readonly phase: 'waking'; readonly pushed: number }
  | { readonly phase: 'dialing'; readonly attempt: number; readonly target: string }
  | { readonly phase: 'answered'; readonly target: string; readonly answeredAt: Date }
  | { readonly phase: 'ended'; readonly target: string; readonly answeredAt: Date; readonly endedAt: Date; readonly by: Party; readonly cause: string }
  /** status null: no final answer is known (the process died before one was sent); `by` set when the system ended it. */
  | { readonly phase: 'failed'; readonly status: number | null; readonly cause: string; readonly by?: 'system' }
  | { readonly phase: 'cancelled' };

export type CallEvent =
  | { readonly type: 'refuse'; readonly refusal: Refusal }
  | { readonly type: 'dial'; readonly target: string }
  | { readonly type: 'push'; readonly pushed: number }
  /** PUSH_RING_SECONDS passed and no pushed device registered. */
  | { readonly type: 'no-device-woke' }
  | { readonly type: 'answer'; readonly at: Date }
  | { readonly type: 'attempt-failed'; readonly status: number; readonly cause: string }
  | { readonly type: 'cancel' }
  /** The system ended a call not yet answered (an operator's hang-up): the caller is told `status`. */
  | { readonly type: 'stop'; readonly status: number; readonly cause: string }
  | { readonly type: 'hangup'; readonly by: Party; readonly at: Date; readonly cause: string }
  /** `at`: the last moment the call is known to have been up (its last heartbeat, else its answer). */
  | { readonly type: 'orphaned'; readonly at: Date }
  /** An internal error of ours cut the call short (signaling/invite/handle-invite.ts's guard); `at` as for orphaned. */
  | { readonly type: 'fault'; readonly at: Date };

/** The cause a call cut short by an internal error of ours is closed with (its X-Reason too). */
export const FAULT_CAUSE = 'internal-error';

/** The cause (and X-Reason) of a call whose callee's browsers were pushed and none registered in time. */
export const MISSED_WITH_PUSH_CAUSE = 'missed-with-push';

/** The cause an orphaned call is closed with. */
export const ORPHANED_CAUSE = 'orphaned-by-restart';

export class IllegalTransition extends Error {
  constructor(
    readonly state: CallState,
    readonly event: CallEvent,
  ) {
    super(`a call in ${state.phase} cannot take ${event.type}`);
    this.name = 'IllegalTransition';
  }
}

export const TERMINAL_PHASES = ['refused', 'ended', 'failed', 'cancelled'] as const;

export function isTerminal(state: CallState): boolean {
  return (TERMINAL_PHASES as readonly string[]).includes(state.phase);
}

/** The one phase each event can lead to (from the phases that take it; any other throws {@link IllegalTransition}). */
interface PhaseAfter {
  refuse: 'refused';
  dial: 'dialing';
  push: 'waking';
  'no-device-woke': 'failed';
  answer: 'answered';
  'attempt-failed': 'failed';
  cancel: 'cancelled';
  stop: 'failed';
  hangup: 'ended';
  orphaned: 'ended' | 'failed';
  fault: 'ended' | 'failed';
}

export type InPhase<P extends CallState['phase']> = Extract<CallState, { phase: P }>;

/**
 * Typed by the event: a hangup's result is an ended state, with its times, without a cast.
 * @example
 * let call: CallState = { phase: 'setup' };
 * call = nextState(call, { type: 'dial', target: 'trunk-a' });
 * const answered = nextState(call, { type: 'answer', at: new Date() }); // InPhase<'answered'>
 */
export function nextState<E extends CallEvent>(state: CallState, event: E): InPhase<PhaseAfter[E['type']]>;
export function nextState(state: CallState, event: CallEvent): CallState {
  switch (state.phase) {
    case 'setup':
      if (event.type === 'stop') return { phase: 'failed', status: event.status, cause: event.cause, by: 'system' };
      if (event.type === 'refuse') return { phase: 'refused', refusal: event.refusal };
      if (event.type === 'orphaned') return { phase: 'failed', status: null, cause: ORPHANED_CAUSE, by: 'system' };
      if (event.type === 'fault') return { phase: 'failed', status: 500, cause: FAULT_CAUSE, by: 'system' };
      if (event.type === 'dial') return { phase: 'dialing', attempt: 1, target: event.target };
      if (event.type === 'cancel') return { phase: 'cancelled' };
      if (event.type === 'push') return { phase: 'waking', pushed: event.pushed };
      break;
    case 'waking':
      if (event.type === 'stop') return { phase: 'failed', status: event.status, cause: event.cause, by: 'system' };
      if (event.type === 'dial') return { phase: 'dialing', attempt: 1, target: event.target };
      if (event.type === 'cancel') return { phase: 'cancelled' };
      // What a caller hears when devices rang and none answered: 480.
      if (event.type === 'no-device-woke') return { phase: 'failed', status: 480, cause: MISSED_WITH_PUSH_CAUSE };
      if (event.type === 'orphaned') return { phase: 'failed', status: null, cause: ORPHANED_CAUSE, by: 'system' };
      if (event.type === 'fault') return { phase: 'failed', status: 500, cause: FAULT_CAUSE, by: 'system' };
      break;
    case 'dialing':
      if (event.type === 'stop') return { phase: 'failed', status: event.status, cause: event.cause, by: 'system' };
      if (event.type === 'answer') return { phase: 'answered', target: state.target, answeredAt: event.at };
      if (event.type === 'cancel') return { phase: 'cancelled' };
      if (event.type === 'attempt-failed') return { phase: 'failed', status: event.status, cause: event.cause };
      if (event.type === 'dial') return { phase: 'dialing', attempt: state.attempt + 1, target: event.target };
      if (event.type === 'orphaned') return { phase: 'failed', status: null, cause: ORPHANED_CAUSE, by: 'system' };
      if (event.type === 'fault') return { phase: 'failed', status: 500, cause: FAULT_CAUSE, by: 'system' };
      break;
    case 'answered':
      if (event.type === 'hangup') {
        return { phase: 'ended', target: state.target, answeredAt: state.answeredAt, endedAt: event.at, by: event.by, cause: event.cause };
      }
      if (event.type === 'orphaned' || event.type === 'fault') {
        const cause = event.type === 'fault' ? FAULT_CAUSE : ORPHANED_CAUSE;
        return { phase: 'ended', target: state.target, answeredAt: state.answeredAt, endedAt: event.at, by: 'system', cause };
      }
      break;
  }
  throw new IllegalTransition(state, event);
}

/** Whole seconds between answer and end, rounded up: a started second is a billed second. */
export function talkSeconds(state: InPhase<'ended'>): number {
  return Math.max(0, Math.ceil((state.endedAt.getTime() - state.answeredAt.getTime()) / 1000));
}
