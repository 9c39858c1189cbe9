/**
 * A call's life as an explicit state machine. Every change goes through {@link nextState}, so a call can only be
 * in a state its history allows (no "answered after ended"), and the CDR is written from these states alone.
 *
 * ```
 * setup ──refuse──▶ refused
 *   │ dial    (setup ──cancel──▶ cancelled: the caller gave up before anything was dialled)
 *   ▼
 * dialing ──answer──▶ answered ──hangup (by a party, max-duration, shutdown, ...)──▶ ended
 *   │ ▲
 *   │ └─ dial (the next trunk)
 *   ├──attempt-failed (no route left)──▶ failed
 *   └──cancel (the caller gave up)─────▶ cancelled
 * ```
 * Refusals, failures and cancels are all reached through here: signaling writes no phase of its own.
 */
import type { Refusal } from './refusal.ts';

export type Party = 'caller' | 'callee' | 'system';

export type CallState =
  | { readonly phase: 'setup' }
  | { readonly phase: 'refused'; readonly refusal: Refusal }
  | { readonly phase: 'dialing'; readonly attempt: number; readonly target: string }
  | { readonly phase: 'answered'; readonly target: string; readonly answeredAt: Date }
  | { readonly phase: 'ended'; readonly target: string; readonly answeredAt: Date; readonly endedAt: Date; readonly by: Party; readonly cause: string }
  | { readonly phase: 'failed'; readonly status: number; readonly cause: string }
  | { readonly phase: 'cancelled' };

export type CallEvent =
  | { readonly type: 'refuse'; readonly refusal: Refusal }
  | { readonly type: 'dial'; readonly target: string }
  | { readonly type: 'answer'; readonly at: Date }
  | { readonly type: 'attempt-failed'; readonly status: number; readonly cause: string }
  | { readonly type: 'cancel' }
  | { readonly type: 'hangup'; readonly by: Party; readonly at: Date; readonly cause: string };

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

/**
 * @example
 * let call: CallState = { phase: 'setup' };
 * call = nextState(call, { type: 'dial', target: 'trunk-a' });
 * call = nextState(call, { type: 'answer', at: new Date() });
 */
export function nextState(state: CallState, event: CallEvent): CallState {
  switch (state.phase) {
    case 'setup':
      if (event.type === 'refuse') return { phase: 'refused', refusal: event.refusal };
      if (event.type === 'dial') return { phase: 'dialing', attempt: 1, target: event.target };
      if (event.type === 'cancel') return { phase: 'cancelled' };
      break;
    case 'dialing':
      if (event.type === 'answer') return { phase: 'answered', target: state.target, answeredAt: event.at };
      if (event.type === 'cancel') return { phase: 'cancelled' };
      if (event.type === 'attempt-failed') return { phase: 'failed', status: event.status, cause: event.cause };
      if (event.type === 'dial') return { phase: 'dialing', attempt: state.attempt + 1, target: event.target };
      break;
    case 'answered':
      if (event.type === 'hangup') {
        return { phase: 'ended', target: state.target, answeredAt: state.answeredAt, endedAt: event.at, by: event.by, cause: event.cause };
      }
      break;
  }
  throw new IllegalTransition(state, event);
}

/** Whole seconds between answer and end, rounded up: a started second is a billed second. */
export function talkSeconds(state: Extract<CallState, { phase: 'ended' }>): number {
  return Math.max(0, Math.ceil((state.endedAt.getTime() - state.answeredAt.getTime()) / 1000));
}
