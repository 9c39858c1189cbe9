/**
 * An attended transfer: a REFER whose Refer-To carries Replaces (RFC 3891 in RFC 3515), sent by a user of ours in one
 * of their two calls and naming their own leg of the other. The two calls become one between the parties that
 * remain, who get no BYE; the transferor's two legs do. The rules are core/calls/transfer.ts's; after transfer.ts's
 * `read` and `transferor` steps:
 *   find       the transferor's other call, by the dialog Replaces names: 403 replaces-no-such-call (not 481, which in
 *              answer to the REFER would end the REFER's own dialog, RFC 3261 §12.2.1.2); either call mid-transfer 491
 *   pay        free between two users of ours (on-net); with a carrier party, routed and held as the transferor
 *              dialling that party's number (core joinedCallPayment, routeTransfer, holdCallCredit: no trunk needed,
 *              the party is connected already): 403 no-rate, blocked, 402 no-credit, 403 daily-spend-cap...
 *   accept     202, NOTIFY 100 Trying
 *   media      the two parties joined: through a media server one of the calls has (a channel for the other party,
 *              which is re-INVITEd onto it: with the server's offer, or without one and answered in the ACK), else
 *              directly (one re-INVITEd without an offer, the other with that offer); a failure is NOTIFYed 488 and
 *              both calls go on
 *   hand over  NOTIFY 200; both calls end (cause transferred, BYE to the transferor only) and the two dialogs are bridged
 *              as a new call, its record (transferred_from: the transferor's record of the REFER's call) closed and its
 *              hold settled when it ends
 */
import { release } from '../../core/billing/reservations.ts';
import { nextState, type CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import type { Refusal } from '../../core/calls/refusal.ts';
import { accountPorts, holdCallCredit, type Held } from '../../core/calls/route.ts';
import { joinedCallPayment, routeTransfer, type Replaces } from '../../core/calls/transfer.ts';
import { withOffersBundle } from '../../core/media/bundle.ts';
import { mediaKindOf } from '../../core/media/media-kind.ts';
import type { JoinedMedia, MediaHandOver } from '../../core/media/media-relay.ts';
import type { CallDeps } from '../invite/call-context.ts';
import { refusalReply } from '../refusals.ts';
import { refuse, type SipReply } from '../sip-reply.ts';
import { hangUpDialog, sendReply, type SrfResponse } from '../srf.ts';
import type { Side } from './bridge.ts';
import type { Dialog } from './dial.ts';
import { callReplaced, followJoinedCall, notify, otherSide, transferring, type LegRecords, type TransferableCall } from './transferable.ts';

interface Joining {
  /** The transferor's side of the call the REFER came in. */
  readonly from: Side;
  readonly payer: string;
  /** The payer's record of the REFER's call. */
  readonly transferredFrom: string;
  readonly replaces: Replaces;
}

/** A party that stays: its call, and its side of it. */
interface Remaining {
  readonly call: TransferableCall;
  readonly side: Side;
}

/**
 * @example
 * if (referTo.kind === 'attended') await joinCalls(deps, call, { from, payer, transferredFrom, replaces: referTo.replaces }, ids, res, log);
 */
export async function joinCalls(
  deps: CallDeps,
  call: TransferableCall,
  joining: Joining,
  ids: string[],
  res: SrfResponse,
  log: CallDeps['logger'],
): Promise<void> {
  const refuseRefer = (reply: SipReply, detail: string) => {
    log.info({ status: reply.status, reason: reply.headers['X-Reason'], detail }, 'attended transfer refused');
    sendReply(res, reply);
  };
  // find
  const replaced = callReplaced(joining.replaces, joining.payer, call);
  if (replaced === undefined) return refuseRefer(refuse(403, 'Forbidden', 'replaces-no-such-call'), 'Replaces names no call of this transferor');
  if (transferring.has(replaced.call)) return refuseRefer(refuse(491, 'Request Pending', 'transfer-in-progress'), 'the other call is being transferred');
  transferring.add(replaced.call);
  try {
    await join(deps, { call, side: otherSide(joining.from) }, { call: replaced.call, side: otherSide(replaced.side) }, joining, ids, res, log);
  } finally {
    transferring.delete(replaced.call);
  }
}

async function join(
  deps: CallDeps,
  referred: Remaining,
  replacing: Remaining,
  joining: Joining,
  ids: string[],
  res: SrfResponse,
  log: CallDeps['logger'],
): Promise<void> {
  const referredParty = referred.call.parties[referred.side];
  const replacingParty = replacing.call.parties[replacing.side];
  const records: LegRecords = {
    ids,
    record: async (state, extra = {}) => {
      for (const id of ids) await recordCdrState(deps.db, id, state, extra);
    },
  };
  const open = async (direction: 'outbound' | 'onnet') =>
    ids.push(
      await openCdr(deps.db, deps.vault, {
        sipCallId: referred.call.callId,
        direction,
        accountId: joining.payer,
        fromNumber: referredParty.number,
        toNumber: replacingParty.number,
        nodeId: deps.nodeId,
        transferredFrom: joining.transferredFrom,
      }),
    );
  const setup: CallState = { phase: 'setup' };
  // The other call stands for the dialled party: joining it is this call's attempt.
  const joiningState = nextState(setup, { type: 'dial', target: 'the other call' });
  const refuseJoin = async (why: Refusal) => {
    await records.record(nextState(setup, { type: 'refuse', refusal: why }));
    log.info({ reason: why.reason, detail: why.detail }, 'attended transfer refused');
    sendReply(res, refusalReply(why));
  };
  // pay
  const payment = joinedCallPayment(referredParty, replacingParty);
  if (payment.kind === 'refused') return refuseJoin(payment.refusal);
  let held: Held | undefined;
  if (payment.kind === 'carrier') {
    const route = await routeTransfer(
      { ...accountPorts(deps.directory, deps.db, joining.payer, deps), recordAttempt: async () => void (await open('outbound')) },
      { dialled: payment.number, defaultCountry: deps.defaultCountry, echoTestNumber: deps.echoTest?.number },
    );
    if (route.kind === 'refused') return refuseJoin(route.refusal);
    if (route.kind === 'trunks') {
      const hold = await holdCallCredit(deps.db, joining.payer, deps, route, ids[0]!);
      if (!hold.ok) return refuseJoin(hold.refusal);
      held = hold.held;
    }
  } else await open('onnet');
  // accept
  sendReply(res, { status: 202, reason: 'Accepted', headers: {} });
  const transferorDialog = referred.call.dialogs[otherSide(referred.side)];
  await notify(transferorDialog, 100, 'Trying', false);
  // media
  let joined: { dialogs: [Dialog, Dialog]; media: JoinedMedia | undefined };
  try {
    joined = await joinMedia(referred, replacing);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'the two parties could not be joined: both calls go on');
    if (held !== undefined) await release(deps.db, held.reservationId);
    await records.record(nextState(joiningState, { type: 'attempt-failed', status: 488, cause: 'the parties could not be joined' }), { sip_status: 488 });
    await notify(transferorDialog, 488, 'Not Acceptable Here', true);
    return;
  }
  // hand over
  let finished!: () => void;
  const continued = new Promise<void>((resolve) => (finished = resolve));
  // RFC 3515 §2.4.5: the final NOTIFY, before the hand-over's BYE ends the transferor's dialog.
  await notify(transferorDialog, 200, 'OK', true);
  const kept = [referred.call.bridge().handOver(referred.side, continued), replacing.call.bridge().handOver(replacing.side, continued)];
  if (kept.includes(undefined)) {
    // A party hung up while the two were joined: the other, whose media was moved already, is let go too.
    for (const dialog of kept) if (dialog !== undefined) hangUpDialog(dialog);
    if (held !== undefined) await release(deps.db, held.reservationId);
    await records.record(nextState(joiningState, { type: 'attempt-failed', status: 487, cause: 'a call ended during the transfer' }), { sip_status: 487 });
    return finished();
  }
  await followJoinedCall(deps, {
    callId: referred.call.callId,
    dialogs: joined.dialogs,
    media: joined.media,
    records,
    held,
    state: joiningState,
    payer: payment.kind === 'carrier' ? joining.payer : null,
    direction: payment.kind === 'carrier' ? 'outbound' : 'onnet',
    answered: {},
    finished,
    log,
  });
}

const dialogOf = (party: Remaining): Dialog => party.call.dialogs[party.side];

/**
 * Joins the two remaining parties' media: through the media server of either call when there is one (its kept party's
 * channel bridged to a new channel for the other party), else directly, party to party.
 */
async function joinMedia(referred: Remaining, replacing: Remaining): Promise<{ dialogs: [Dialog, Dialog]; media: JoinedMedia | undefined }> {
  for (const [through, onto] of [
    [referred, replacing],
    [replacing, referred],
  ] as const) {
    const handOver = through.call.media.handOver;
    if (handOver === undefined) continue;
    const moved = dialogOf(onto);
    const media = await moveOnto(await handOver(through.side, mediaKindOf(moved.remote.sdp)), moved);
    return { dialogs: [dialogOf(through), moved], media };
  }
  const [first, second] = [dialogOf(referred), dialogOf(replacing)];
  if (mediaKindOf(first.remote.sdp) !== mediaKindOf(second.remote.sdp)) throw new Error('two direct calls of different media kinds, no media server');
  // A party held by the call it was in (our last SDP to it sendonly or inactive) answers rather than offers: its own
  // offer would keep it receive-only (a browser re-offers the direction it was held in).
  const [offerer, answerer] = heldByUs(second) || !heldByUs(first) ? [first, second] : [second, first];
  const { sdp: offer, ack } = await askOffer(offerer);
  ack(await answerer.modify(offer));
  return { dialogs: [first, second], media: undefined };
}

const heldByUs = (dialog: Dialog): boolean => /^a=(sendonly|inactive)\s*$/m.test(dialog.local.sdp ?? '');

/** Re-INVITEs a party onto its new channel on the media server. */
async function moveOnto(handOver: MediaHandOver, dialog: Dialog): Promise<JoinedMedia> {
  try {
    if (handOver.calleeOffer !== undefined) return await handOver.join(await dialog.modify(handOver.calleeOffer));
    // A browser: the media server answers the offer it makes on its connection already up (its BUNDLE kept). One the
    // transferor held is resumed first (our last offer to it again, sending): its own offer would stay receive-only.
    if (heldByUs(dialog)) await dialog.modify(dialog.local.sdp.replace(/^a=(sendonly|inactive)\s*$/m, 'a=sendrecv'));
    const { sdp: offer, ack } = await askOffer(dialog);
    ack(withOffersBundle(offer, await handOver.answerCallee!(offer)));
    return await handOver.join(offer);
  } catch (error) {
    handOver.abandon();
    throw error;
  }
}

/** A re-INVITE without an offer (RFC 3261 §14.1): the party offers in its 2xx, the answer goes in the ACK. */
async function askOffer(dialog: Dialog): Promise<{ sdp: string; ack: (answer: string) => void }> {
  // drachtio-srf: modify({ noAck: true }) with no SDP resolves with the offer and the ACK to send (untyped).
  return (dialog.modify as unknown as (opts: object) => Promise<{ sdp: string; ack: (answer: string) => void }>)({ noAck: true });
}
