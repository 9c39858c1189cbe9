/**
 * What the two kinds of transfer (transfer.ts: blind, attended-transfer.ts: Replaces) share: the bridged call as a
 * transfer sees it, the calls a Replaces can name, and the NOTIFYs that tell the transferor how it went.
 */
import { settle } from '../../core/billing/reservations.ts';
import { nextState, talkSeconds, type CallState } from '../../core/calls/call-state.ts';
import type { CdrExtra } from '../../core/calls/cdr.ts';
import type { Held } from '../../core/calls/route.ts';
import { namesDialog, type Replaces, type TransferParty } from '../../core/calls/transfer.ts';
import type { JoinedMedia, MediaPath } from '../../core/media/media-relay.ts';
import type { CallDeps } from '../invite/call-context.ts';
import { measuredQuality } from '../media/media-path.ts';
import { dialogHandleOf, dialogIdsOf, type SrfResponse } from '../srf.ts';
import { bridgeDialogs, type DialogBridge, type Side } from './bridge.ts';
import type { Dialog } from './dial.ts';

/** A bridged call as a transfer needs it. */
export interface TransferableCall {
  /** The original INVITE's Call-ID: the new leg's records and the call's place in ActiveCalls keep it. */
  readonly callId: string;
  readonly dialogs: Readonly<Record<Side, Dialog>>;
  readonly parties: Readonly<Record<Side, TransferParty>>;
  readonly media: MediaPath;
  /** The bridge joining the two dialogs (set once bridged). */
  bridge(): DialogBridge;
}

export const otherSide = (side: Side): Side => (side === 'caller' ? 'callee' : 'caller');

/** Calls in the middle of a transfer: a second REFER meanwhile is 491 Request Pending (RFC 3261 §14.2's spirit). */
export const transferring = new WeakSet<TransferableCall>();

/**
 * The bridged calls of this process, for a REFER with Replaces to find the other call it names. A user's two calls
 * are on one node in practice (one WebSocket); one on another node is not found (refused as no such call).
 */
const bridgedCalls = new Set<TransferableCall>();

/**
 * Makes a bridged call one a Replaces can name, until its bridge ends.
 * @example
 * const bridge = bridgeDialogs(caller, callee, { onRefer }); trackTransferable({ ...call, bridge: () => bridge });
 */
export function trackTransferable(call: TransferableCall): void {
  bridgedCalls.add(call);
  void call.bridge().ended.then(() => bridgedCalls.delete(call));
}

/** The transferor's other call Replaces names: one where `payer`'s own leg is the dialog named (core's namesDialog). */
export function callReplaced(replaces: Replaces, payer: string, except: TransferableCall): { call: TransferableCall; side: Side } | undefined {
  for (const call of bridgedCalls) {
    if (call === except) continue;
    for (const side of ['caller', 'callee'] as const) {
      if (call.parties[side].accountId === payer && namesDialog(replaces, dialogIdsOf(call.dialogs[side]))) return { call, side };
    }
  }
  return undefined;
}

/** A NOTIFY of the REFER's implicit subscription (RFC 3515 §2.4.4): the new leg's status line as message/sipfrag. */
export async function notify(dialog: Dialog, status: number, phrase: string, final: boolean): Promise<void> {
  try {
    // drachtio-srf types request() as taking a whole SrfRequest; it reads method, headers and body (as info-relay.ts).
    await (dialog.request as (opts: object) => Promise<SrfResponse>)({
      method: 'NOTIFY',
      headers: {
        Event: 'refer',
        'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
        'Content-Type': 'message/sipfrag;version=2.0',
      },
      body: `SIP/2.0 ${status} ${phrase}\r\n`,
    });
  } catch {
    // The transferor's leg is gone (it hung up meanwhile): the transfer itself goes on.
  }
}

/** A transferred call's records: the payer's, and in a blind transfer on-net the target user's. */
export interface LegRecords {
  readonly ids: string[];
  record(state: CallState, extra?: CdrExtra): Promise<void>;
}

/**
 * The call a transfer leaves: two dialogs bridged (the first is the bridge's caller) over `media` (none: direct), in
 * ActiveCalls under the original Call-ID, its records answered now and closed when it ends, the hold settled for the
 * seconds talked. `finished` lets the original calls' media paths go once it is over.
 */
export async function followJoinedCall(
  deps: CallDeps,
  joined: {
    readonly callId: string;
    readonly dialogs: readonly [Dialog, Dialog];
    readonly media: JoinedMedia | undefined;
    readonly records: LegRecords;
    readonly held: Held | undefined;
    readonly state: CallState;
    /** The account billed (a carrier leg is in it), null: on-net. */
    readonly payer: string | null;
    readonly direction: 'outbound' | 'onnet';
    readonly answered: CdrExtra;
    readonly finished: () => void;
    readonly log: CallDeps['logger'];
  },
): Promise<void> {
  const { records, held, media } = joined;
  const [caller, callee] = joined.dialogs;
  const answeredState = nextState(joined.state, { type: 'answer', at: new Date() });
  const maxSeconds = held?.maxSeconds;
  const bridge = bridgeDialogs(caller, callee, {
    ...(maxSeconds === undefined ? {} : { maxSeconds }),
    ...(media === undefined ? {} : { media }),
    ...(deps.reconnect ? { reconnect: deps.reconnect } : {}),
  });
  deps.activeCalls.add(bridge, joined.callId, joined.payer);
  try {
    try {
      await records.record(answeredState, {
        sip_status: 200,
        caller_dialog: dialogHandleOf(caller),
        callee_dialog: dialogHandleOf(callee),
        ...joined.answered,
      });
    } catch (error) {
      // A call whose answer is not on record could not be billed rightly: it ends now (as answer-and-bridge.ts does).
      bridge.hangUp('internal-error');
      throw error;
    }
    deps.metrics.callsAnswered.inc({ direction: joined.direction });
    joined.log.info({ direction: joined.direction }, 'call transferred');
    const end = await bridge.ended;
    deps.metrics.callsEnded.inc({ cause: end.cause });
    const ended = nextState(answeredState, { type: 'hangup', by: end.by, at: end.at, cause: end.cause });
    const mos = media === undefined ? null : await measuredQuality(media);
    if (held === undefined) return await records.record(ended, { mos });
    const seconds = Math.min(talkSeconds(ended), held.maxSeconds);
    const cost = await settle(deps.db, held.reservationId, seconds);
    await records.record(ended, { billable_seconds: seconds, cost, mos });
  } finally {
    joined.finished();
  }
}
