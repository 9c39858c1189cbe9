/**
 * The leg every call ends with, whatever its kind (trunk, devices, echo): answer the caller with the SDP the far
 * side gives (through the media server's answer on a relayed path), join the two, record the answer, and wait for
 * the end. What comes after (settling, the MOS) is the caller's.
 */
import { nextState, type CallState, type InPhase } from '../../core/calls/call-state.ts';
import type { CdrExtra } from '../../core/calls/cdr.ts';
import type { CallDirection } from '../../db/schema.ts';
import type { CallDeps } from '../invite/call-context.ts';
import { failureReply } from '../refusals.ts';
import { CALL_RECORD_HEADER } from '../sip-reply.ts';
import { dialogHandleOf, sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { Bridge, CallEnd } from './bridge.ts';
import type { Dialog } from './dial.ts';

export interface AnsweringCall {
  readonly direction: CallDirection;
  /** Where the call stands: dialled, and the far side has answered. */
  readonly state: CallState;
  /** The SDP the caller is answered with. Rejects when the media server cannot join the two ends: 488. */
  callerAnswer(): Promise<string>;
  /** Joins the caller, answered, to the far side. Called before anything is awaited: a BYE right after the ACK must find a listener. */
  join(caller: Dialog): Bridge;
  /** What the answer's record holds besides the state (the callee's dialog, the media server). */
  readonly answered: CdrExtra;
  /** Writes the call's records (each party's on an on-net call). */
  record(state: CallState, extra?: CdrExtra): Promise<void>;
  /** The far side is let go of when the caller cannot be answered (the callee hung up, a hold released). */
  abandon(): Promise<void> | void;
  /** The account an outbound call bills: hung up with the others when it is suspended. */
  readonly payingAccountId?: string;
  /** The caller's own record of the call, named in the 200 ({@link CALL_RECORD_HEADER}); none for a carrier's call. */
  readonly callerRecordId?: string;
}

export type AnsweredCall = { readonly state: InPhase<'ended'>; readonly end: CallEnd };

/** Resolves with the ended state once the call is over; undefined when it was never answered (recorded here). */
export async function answerAndBridge(deps: CallDeps, req: SrfRequest, res: SrfResponse, call: AnsweringCall): Promise<AnsweredCall | undefined> {
  let callerAnswer: string;
  try {
    callerAnswer = await call.callerAnswer();
  } catch (error) {
    // The media server could not join the far side's answer to the caller's offer: nobody could hear anything.
    await call.abandon();
    if (!res.finalResponseSent) sendReply(res, failureReply({ reason: 'media-unavailable' }));
    await call.record(nextState(call.state, { type: 'attempt-failed', status: 488, cause: 'media-unavailable' }), { sip_status: 488 });
    deps.logger.warn({ err: (error as Error).message }, 'media server could not answer the caller');
    return undefined;
  }
  let caller: Dialog;
  try {
    const headers: Record<string, string> = call.callerRecordId === undefined ? {} : { [CALL_RECORD_HEADER]: call.callerRecordId };
    caller = await deps.srf.createUAS(req, res, { localSdp: callerAnswer, headers });
  } catch (error) {
    // The caller went away while the far side answered: let it go, charge nothing.
    await call.abandon();
    await call.record(nextState(call.state, { type: 'cancel' }));
    deps.logger.info({ err: (error as Error).message }, 'caller gone before the answer completed');
    return undefined;
  }
  const answered = nextState(call.state, { type: 'answer', at: new Date() });
  const bridge = call.join(caller);
  deps.activeCalls.add(bridge, req.get('Call-ID'), call.payingAccountId ?? null);
  try {
    await call.record(answered, { sip_status: 200, caller_dialog: dialogHandleOf(caller), ...call.answered });
  } catch (error) {
    // A call whose answer is not on record could be neither billed nor closed rightly: it ends now, and the error
    // goes on to the INVITE's guard (handle-invite.ts), which fails the record and releases the hold.
    bridge.hangUp('internal-error');
    await bridge.ended;
    throw error;
  }
  deps.metrics.callsAnswered.inc({ direction: call.direction });
  const end = await bridge.ended;
  deps.metrics.callsEnded.inc({ cause: end.cause });
  const ended = nextState(answered, { type: 'hangup', by: end.by, at: end.at, cause: end.cause });
  return { state: ended, end };
}
