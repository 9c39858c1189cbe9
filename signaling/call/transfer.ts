/**
 * A transfer: a REFER (RFC 3515) one of our users sends in a bridged call, as a pipeline of named steps; the
 * rules are core/calls/transfer.ts's. Each step answers for itself: before the 202 with a status + X-Reason, after
 * it with a NOTIFY carrying the new leg's final status (message/sipfrag, RFC 3515 §2.4.4-2.4.5). With Replaces
 * (RFC 3891, attended) the steps after `transferor` are attended-transfer.ts's; a blind transfer's are these:
 *   read        the Refer-To: 400 bad-refer-to
 *   transferor  the REFER's sender must be a user of ours, who pays: 403 transfer-not-allowed; one at a time: 491
 *   route       the target as that user dialling it (core/calls/route.ts): 484, 403 (blocked, not allowed, no rate)
 *   media       a way for the kept party's audio to reach the target: the call's media server, or on a direct path
 *               a target of the kept party's kind (re-INVITE of the kept party with the target's offer); else 488
 *   hold        credit for a carrier target on the payer's account (holdCredit): 402/403
 *   accept      202, NOTIFY 100 Trying
 *   dial        the target user's live devices, or the trunks; a failure is NOTIFYed and the call goes on
 *   hand over   NOTIFY 200, the original call ends (cause transferred, BYE to the transferor only), the kept party is
 *               bridged to the target; its records (linked by transferred_from) and hold are closed when it ends
 */
import { release } from '../../core/billing/reservations.ts';
import { nextState, type CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { closeFaultedRecords } from '../../core/calls/orphans.ts';
import { refusal, type Refusal } from '../../core/calls/refusal.ts';
import { accountPorts, holdCredit, type Held } from '../../core/calls/route.ts';
import { readReferTo, routeTransfer, transferLegRecords, transferorOf, type TransferRefusalReason, type TransferTarget } from '../../core/calls/transfer.ts';
import { mediaKindOf, mediaKindOfTransport, type MediaKind } from '../../core/media/media-kind.ts';
import type { JoinedMedia, MediaHandOver } from '../../core/media/media-relay.ts';
import { liveRegistrations } from '../../core/registrations.ts';
import type { CallDeps } from '../invite/call-context.ts';
import { dialTrunks, trunkOffer } from './trunk-dial.ts';
import { calleeOfferOf } from '../media/media-path.ts';
import { refusalReply } from '../refusals.ts';
import { refuse, type SipReply } from '../sip-reply.ts';
import { hangUpDialog, sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import { joinCalls } from './attended-transfer.ts';
import type { Side } from './bridge.ts';
import { followJoinedCall, notify, otherSide, transferring, type LegRecords, type TransferableCall } from './transferable.ts';
import { dial, DialFailed, type DialOffer, type Dialog } from './dial.ts';

const REFUSED: Record<TransferRefusalReason, readonly [number, string]> = {
  'bad-refer-to': [400, 'Bad Request'],
  'transfer-not-allowed': [403, 'Forbidden'],
};

/**
 * @example
 * bridgeDialogs(caller, callee, { onRefer: (from, req, res) => void transferCall(deps, call, from, req, res) });
 */
export async function transferCall(deps: CallDeps, call: TransferableCall, from: Side, req: SrfRequest, res: SrfResponse): Promise<void> {
  const log = deps.logger.child({ transferBy: from });
  const refuseRefer = (reply: SipReply, detail: string) => {
    log.info({ status: reply.status, reason: reply.headers['X-Reason'], detail }, 'transfer refused');
    sendReply(res, reply);
  };
  // read
  const referTo = readReferTo(req.has('Refer-To') ? req.get('Refer-To') : undefined);
  if (referTo.kind === 'refused') return refuseRefer(refuse(...REFUSED[referTo.reason], referTo.reason), referTo.detail);
  // transferor
  const transferor = transferorOf(call.parties[from]);
  if (!transferor.ok) return refuseRefer(refuse(...REFUSED[transferor.reason], transferor.reason), transferor.detail);
  if (transferring.has(call)) return refuseRefer(refuse(491, 'Request Pending', 'transfer-in-progress'), 'a transfer is already under way');
  transferring.add(call);
  // The new leg's records, the transferor's first: what an internal error closes (and their hold settles or releases).
  const ids: string[] = [];
  try {
    const by = { from, payer: transferor.payer, transferredFrom: transferor.transferredFrom };
    if (referTo.kind === 'attended') await joinCalls(deps, call, { ...by, replaces: referTo.replaces }, ids, res, log);
    else await placeTransfer(deps, call, { ...by, dialled: referTo.dialled }, ids, res, log);
  } catch (error) {
    log.error({ err: (error as Error).message }, 'transfer failed inside the app');
    if (!res.finalResponseSent) sendReply(res, refuse(500, 'Server Internal Error', 'internal-error'));
    if (ids.length > 0)
      await closeFaultedRecords(deps.db, deps.nodeId, { cdrIds: ids }, new Date()).catch((closing: unknown) =>
        // The database itself failed: the heartbeat closes them once it is back (core/calls/orphans.ts).
        log.error({ err: (closing as Error).message }, 'could not close the records of a failed transfer'),
      );
  } finally {
    transferring.delete(call);
  }
}

interface Transfer {
  readonly from: Side;
  readonly payer: string;
  /** The payer's record of the original call. */
  readonly transferredFrom: string;
  readonly dialled: string;
}

async function placeTransfer(
  deps: CallDeps,
  call: TransferableCall,
  transfer: Transfer,
  ids: string[],
  res: SrfResponse,
  log: CallDeps['logger'],
): Promise<void> {
  const keep = otherSide(transfer.from);
  const records: LegRecords = {
    ids,
    record: async (state, extra = {}) => {
      for (const id of ids) await recordCdrState(deps.db, id, state, extra);
    },
  };
  const callerId = async () => (await deps.directory.firstDidOf(transfer.payer)) ?? deps.defaultCallerId ?? null;
  const open = async (accountId: string, direction: 'outbound' | 'onnet', fromNumber: string | null, toNumber: string) =>
    ids.push(
      await openCdr(deps.db, deps.vault, {
        sipCallId: call.callId,
        direction,
        accountId,
        fromNumber,
        toNumber,
        nodeId: deps.nodeId,
        transferredFrom: transfer.transferredFrom,
      }),
    );
  // route: the payer's own rules; the attempt's record (the abuse rules count it) is the payer's record of the new leg.
  const target = await routeTransfer(
    {
      ...accountPorts(deps.directory, deps.db, transfer.payer, deps),
      recordAttempt: async (number) => void (await open(transfer.payer, 'outbound', await callerId(), number)),
    },
    { dialled: transfer.dialled, defaultCountry: deps.defaultCountry, echoTestNumber: deps.echoTest?.number },
  );
  const refuseTarget = async (why: Refusal) => {
    await records.record(nextState({ phase: 'setup' }, { type: 'refuse', refusal: why }));
    log.info({ reason: why.reason, detail: why.detail }, 'transfer target refused');
    sendReply(res, refusalReply(why));
  };
  if (target.kind === 'refused') return refuseTarget(target.refusal);
  const legs = transferLegRecords(target);
  if (legs.targetAccountId !== null) {
    await open(transfer.payer, legs.direction, call.parties[keep].number, target.number);
    await open(legs.targetAccountId, legs.direction, call.parties[keep].number, target.number);
  }
  // media
  const keptKind = mediaKindOf(call.dialogs[keep].remote.sdp);
  const devices = target.kind === 'on-net' ? await liveRegistrations(deps.db, target.calleeAccountId, new Date()) : [];
  if (target.kind === 'on-net' && devices.length === 0) return refuseTarget(refusal('offline'));
  const kinds = target.kind === 'trunks' ? new Set<MediaKind>(['rtp']) : new Set(devices.map((device) => mediaKindOfTransport(device.transport)));
  const offers = await mediaFor(call, keep, keptKind, kinds);
  if (!offers.ok) return refuseTarget(refusal('media-unavailable', offers.detail));
  // hold
  let held: Held | undefined;
  if (target.kind === 'trunks') {
    const hold = await holdCredit(deps.db, transfer.payer, deps, target, ids[0]!);
    if (!hold.ok) {
      offers.abandon();
      return refuseTarget(hold.refusal);
    }
    held = hold.held;
  }
  // accept
  sendReply(res, { status: 202, reason: 'Accepted', headers: {} });
  const transferorDialog = call.dialogs[transfer.from];
  await notify(transferorDialog, 100, 'Trying', false);
  // dial
  const stop = new AbortController();
  void call.bridge().ended.then(() => stop.abort());
  let state: CallState = nextState({ phase: 'setup' }, { type: 'dial', target: target.kind === 'trunks' ? 'trunks' : `${devices.length} device(s)` });
  const answered = await dialTarget(deps, target, devices, offers, stop.signal, await callerId(), call.parties[keep].number);
  if ('failure' in answered) {
    offers.abandon();
    if (held !== undefined) await release(deps.db, held.reservationId);
    state = nextState(state, { type: 'attempt-failed', status: answered.failure.status, cause: `transfer target answered ${answered.failure.status}` });
    await records.record(state, { sip_status: answered.failure.status });
    log.info({ status: answered.failure.status }, 'transfer target did not answer: the call goes on');
    await notify(transferorDialog, answered.failure.status, answered.failure.reason, true);
    return;
  }
  await handOver(deps, call, { ...transfer, keep, records, held, state, offers, log, transferorDialog, target }, answered);
}

/** What the target is dialled with, per media kind, and how its answer joins the kept party. */
type TargetMedia =
  | {
      readonly ok: true;
      offerFor(kind: MediaKind): DialOffer;
      join(kind: MediaKind, sdp: string): Promise<JoinedMedia | undefined>;
      abandon(): void;
    }
  | { readonly ok: false; readonly detail: string };

async function mediaFor(call: TransferableCall, keep: Side, keptKind: MediaKind, kinds: ReadonlySet<MediaKind>): Promise<TargetMedia> {
  const relayed = call.media.handOver;
  if (relayed === undefined) {
    // A direct path: the target offers in its 2xx and the kept party, re-INVITEd with that offer, answers it.
    if (![...kinds].every((kind) => kind === keptKind))
      return { ok: false, detail: `a direct ${keptKind} call cannot be transferred to another kind of media` };
    return {
      ok: true,
      offerFor: () => ({ answerOffer: (offer) => call.dialogs[keep].modify(offer) }),
      join: async () => undefined,
      abandon: () => undefined,
    };
  }
  const handOvers = new Map<MediaKind, MediaHandOver>();
  try {
    for (const kind of kinds) handOvers.set(kind, await relayed(keep, kind));
  } catch (error) {
    handOvers.forEach((each) => each.abandon());
    return { ok: false, detail: `media server: ${(error as Error).message}` };
  }
  return {
    ok: true,
    offerFor: (kind) => calleeOfferOf(handOvers.get(kind)!),
    async join(kind, sdp) {
      for (const [each, handOver] of handOvers) if (each !== kind) handOver.abandon();
      return handOvers.get(kind)!.join(sdp);
    },
    abandon: () => handOvers.forEach((each) => each.abandon()),
  };
}

type Answered = { readonly dialog: Dialog; readonly kind: MediaKind; readonly trunkId?: number } | { readonly failure: DialFailed };

async function dialTarget(
  deps: CallDeps,
  target: Exclude<TransferTarget, { kind: 'refused' }>,
  devices: Awaited<ReturnType<typeof liveRegistrations>>,
  media: Extract<TargetMedia, { ok: true }>,
  cancelled: AbortSignal,
  callerId: string | null,
  keptNumber: string | null,
): Promise<Answered> {
  if (target.kind === 'trunks') {
    const outcome = await dialTrunks(deps, target.trunks, {
      number: target.number,
      callerId: callerId ?? undefined,
      // The new channel makes a plain RTP offer at once: an SRTP (SDES) trunk, which needs the carrier's keyed offer, is skipped.
      mediaEncryption: 'none',
      offerFor: (trunk) => {
        const offer = media.offerFor('rtp');
        return 'sdp' in offer ? trunkOffer(trunk, { calleeOffer: offer.sdp }) : offer;
      },
      cancelled,
      onProvisional: () => undefined,
      onAttempt: () => undefined,
    });
    return 'failure' in outcome ? { failure: outcome.failure } : { dialog: outcome.dialog, kind: 'rtp', trunkId: outcome.trunk.id };
  }
  const from = keptNumber === null ? '"Anonymous" <sip:anonymous@anonymous.invalid>' : `<sip:${keptNumber}@${deps.auth.realm}>`;
  const rings = devices.map((device) => {
    const kind = mediaKindOfTransport(device.transport);
    const attempt = dial(
      deps.srf,
      { uri: device.contact, proxy: `sip:${device.source_address}:${device.source_port};transport=${device.transport}`, headers: { From: from } },
      media.offerFor(kind),
      () => undefined,
    );
    return { attempt, kind };
  });
  cancelled.addEventListener('abort', () => rings.forEach((ring) => ring.attempt.cancel()));
  try {
    const winner = await Promise.any(rings.map((ring) => ring.attempt.answered.then((dialog) => ({ dialog, kind: ring.kind }))));
    for (const { attempt } of rings) {
      attempt.cancel();
      void attempt.answered.then(
        (dialog) => dialog !== winner.dialog && hangUpDialog(dialog),
        () => undefined,
      );
    }
    return winner;
  } catch (error) {
    const failures = error instanceof AggregateError ? error.errors.filter((each): each is DialFailed => each instanceof DialFailed) : [];
    return { failure: failures.find((each) => each.status === 486 || each.status >= 600) ?? new DialFailed(480, 'Temporarily Unavailable') };
  }
}

interface Placed extends Transfer {
  readonly keep: Side;
  readonly records: LegRecords;
  readonly held: Held | undefined;
  readonly state: CallState;
  readonly offers: Extract<TargetMedia, { ok: true }>;
  readonly log: CallDeps['logger'];
  readonly transferorDialog: Dialog;
  readonly target: Exclude<TransferTarget, { kind: 'refused' }>;
}

/** The target answered: the transferor is told and let go, and the kept party is bridged to the target. */
async function handOver(deps: CallDeps, call: TransferableCall, placed: Placed, answered: Extract<Answered, { dialog: Dialog }>): Promise<void> {
  const { records, held, log } = placed;
  let finished!: () => void;
  const continued = new Promise<void>((resolve) => (finished = resolve));
  // RFC 3515 §2.4.5: the final NOTIFY, before the hand-over's BYE ends the transferor's dialog.
  await notify(placed.transferorDialog, 200, 'OK', true);
  const kept = call.bridge().handOver(placed.keep, continued);
  const closeUnplaced = async () => {
    hangUpDialog(answered.dialog);
    placed.offers.abandon();
    if (held !== undefined) await release(deps.db, held.reservationId);
    await records.record(nextState(placed.state, { type: 'attempt-failed', status: 487, cause: 'the call ended during the transfer' }), { sip_status: 487 });
    finished();
  };
  // The call ended while the target answered: nobody is left to join it to.
  if (kept === undefined) return closeUnplaced();
  let media: JoinedMedia | undefined;
  try {
    media = await placed.offers.join(answered.kind, answered.dialog.remote.sdp);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'the media server could not join the transfer target');
    hangUpDialog(kept);
    return closeUnplaced();
  }
  await followJoinedCall(deps, {
    callId: call.callId,
    dialogs: [kept, answered.dialog],
    media,
    records,
    held,
    state: placed.state,
    payer: placed.target.kind === 'trunks' ? placed.payer : null,
    direction: transferLegRecords(placed.target).direction,
    answered: answered.trunkId === undefined ? {} : { trunk_id: answered.trunkId },
    finished,
    log,
  });
}
