/**
 * The one mapping from why a call did not connect to what the caller hears (SIP status, reason phrase, X-Reason):
 * a refusal (core/calls/refusal.ts) before anything is dialled, or a failure of ours once it was. A far end's own
 * final answer (busy, decline) is passed on as it came, with no X-Reason.
 */
import { nextState } from '../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../core/calls/cdr.ts';
import { OPERATOR_HANG_UP_CAUSE, OPERATOR_STOP_STATUS } from '../core/calls/hang-up-request.ts';
import type { Refusal, RefusalReason } from '../core/calls/refusal.ts';
import type { CallDirection } from '../db/schema.ts';
import type { CallDeps, InviteFacts } from './invite/call-context.ts';
import { refuse, type SipReply } from './sip-reply.ts';
import { sendReply, type SrfResponse } from './srf.ts';
import { logAddress } from '../core/client-address.ts';

const STATUS: Record<RefusalReason, readonly [number, string]> = {
  'not-authenticated': [407, 'Proxy Authentication Required'],
  'bad-credentials': [403, 'Forbidden'],
  'credentials-expired': [403, 'Credentials Expired'],
  // Too many failed attempts, or a flood of refused INVITEs, from this source (core/abuse/address-blocks.ts): refused before any work.
  'source-blocked': [403, 'Forbidden'],
  'source-not-allowed': [403, 'Forbidden'],
  'bad-number': [484, 'Address Incomplete'],
  'destination-not-allowed': [403, 'Destination Not Allowed'],
  'destination-blocked': [403, 'Destination Blocked'],
  'no-rate': [403, 'Destination Not Allowed'],
  'no-credit': [402, 'Payment Required'],
  'too-many-calls': [403, 'Too Many Calls'],
  'calls-per-minute': [403, 'Call Rate Exceeded'],
  'daily-spend-cap': [403, 'Daily Spend Cap Reached'],
  'account-suspended': [403, 'Account Suspended'],
  'unknown-did': [404, 'Not Found'],
  offline: [480, 'Temporarily Unavailable'],
  'no-trunk': [503, 'Service Unavailable'],
  // RFC 3261 §21.4.26: the session description cannot be met (a browser's WebRTC media to an RTP-only peer).
  'media-unavailable': [488, 'Not Acceptable Here'],
};

export function refusalReply(refusal: Refusal): SipReply {
  const [status, phrase] = STATUS[refusal.reason];
  return refuse(status, phrase, refusal.reason);
}

/**
 * A dialled call that did not connect, where the reason is ours: every trunk failed (their last status, a timeout
 * as 503), no device answered (480), the media server could not join the answer to the offer (488), or an operator
 * ended it while it rang (core/calls/hang-up-request.ts).
 */
/** `trunk-untrusted`: no carrier's TLS certificate passed its trunk's CA or pin; `srtp-refused`: an SRTP trunk's carrier offered plain RTP. */
export type TrunkFailureReason = 'trunk-failure' | 'trunk-untrusted' | 'srtp-refused';

export function failureReply(
  failure: { readonly reason: TrunkFailureReason; readonly status: number } | { readonly reason: 'no-answer' | 'media-unavailable' | 'operator' },
): SipReply {
  switch (failure.reason) {
    case 'operator':
      return refuse(OPERATOR_STOP_STATUS, 'Temporarily Unavailable', OPERATOR_HANG_UP_CAUSE);
    case 'trunk-failure':
    case 'trunk-untrusted':
    case 'srtp-refused':
      return refuse(failure.status === 408 ? 503 : failure.status, undefined, failure.reason);
    case 'no-answer':
      return refuse(480, 'Temporarily Unavailable', failure.reason);
    case 'media-unavailable':
      return refuse(488, undefined, failure.reason);
  }
}

export interface RefusedCall {
  readonly direction: CallDirection;
  readonly accountId: string | null;
  /** The call's records when already written (both parties' on an on-net call); else one is written now. */
  readonly cdrIds?: readonly string[];
}

/**
 * Answers a refusal and records it: the CDR row is the operator's view of every turned-away call. Refusals of an
 * unknown source are the exception (`refuseUnknownSource`): a flood of them would be a row per packet.
 */
export async function refuseCall(
  deps: Pick<CallDeps, 'db' | 'vault' | 'metrics' | 'nodeId'>,
  res: SrfResponse,
  facts: Pick<InviteFacts, 'callId' | 'dialled'>,
  call: RefusedCall,
  why: Refusal,
): Promise<void> {
  deps.metrics.callRefusals.inc({ reason: why.reason });
  const reply = refusalReply(why);
  try {
    // Recorded before the caller hears it, so the record never lags what the caller saw.
    const cdrIds = call.cdrIds ?? [
      await openCdr(deps.db, deps.vault, {
        sipCallId: facts.callId,
        direction: call.direction,
        accountId: call.accountId,
        fromNumber: null,
        toNumber: facts.dialled || null,
        nodeId: deps.nodeId,
      }),
    ];
    const refused = nextState({ phase: 'setup' }, { type: 'refuse', refusal: why });
    for (const cdrId of cdrIds) await recordCdrState(deps.db, cdrId, refused, { sip_status: reply.status });
  } finally {
    sendReply(res, reply);
  }
}

/**
 * Refuses a request from a source we do not know (no trunk, no live registration): counted in
 * `dialo_call_refusals_total` and logged at debug, with no database write, so a scan or flood costs no rows.
 */
export function refuseUnknownSource(deps: Pick<CallDeps, 'metrics' | 'logger'>, res: SrfResponse, sourceAddress: string, why: Refusal): void {
  deps.metrics.callRefusals.inc({ reason: why.reason });
  deps.logger.debug({ source: logAddress(sourceAddress), reason: why.reason }, 'request from an unknown source refused');
  sendReply(res, refusalReply(why));
}
