/**
 * A call stopped while it rang: by the caller's CANCEL (RFC 3261 §9.2), or by an operator's hang-up
 * (core/calls/hang-up-request.ts) that signaling/app.ts's poll delivers through the same signal, with its reason.
 */
import { nextState, type CallState } from '../../core/calls/call-state.ts';
import { OPERATOR_HANG_UP_CAUSE, OPERATOR_STOP_STATUS } from '../../core/calls/hang-up-request.ts';
import { failureReply } from '../refusals.ts';
import { sendReply, type SrfResponse } from '../srf.ts';
import type { InviteFacts } from './call-context.ts';

/** The abort reason of `InviteFacts.cancelled` when an operator ended the call. */
export const OPERATOR_STOP = 'operator';

const byOperator = (facts: InviteFacts) => facts.cancelled.reason === OPERATOR_STOP;

/** The state a stopped call ends in: cancelled by the caller, or failed by the system with the operator's cause. */
export function stoppedState(facts: InviteFacts, state: CallState): CallState {
  return byOperator(facts)
    ? nextState(state, { type: 'stop', status: OPERATOR_STOP_STATUS, cause: OPERATOR_HANG_UP_CAUSE })
    : nextState(state, { type: 'cancel' });
}

/** Tells the caller: 487 to its own CANCEL, else the operator's status with `X-Reason: operator`. */
export function answerStopped(facts: InviteFacts, res: SrfResponse): void {
  if (res.finalResponseSent) return;
  if (byOperator(facts)) sendReply(res, failureReply({ reason: 'operator' }));
  else res.send(487);
}
