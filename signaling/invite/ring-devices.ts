/**
 * A call for one of our numbers: from a trunk (inbound) or from another user (on-net). The number's owner's live
 * registrations are all rung at once (RFC 3261 §16.7 forking, done as a B2BUA): the first to answer wins and the
 * rest are cancelled. No registration -> the owner's browsers are woken by push and the caller rings meanwhile
 * (push-ring.ts), else 480 offline; no device can take the media -> 488.
 */
import { nextState, type CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState, type CdrExtra } from '../../core/calls/cdr.ts';
import { refusal, type Refusal } from '../../core/calls/refusal.ts';
import type { E164 } from '../../core/numbers.ts';
import { liveRegistrations } from '../../core/registrations.ts';
import { answerAndBridge } from '../call/answer-and-bridge.ts';
import { bridgeDialogs, type DialogBridge } from '../call/bridge.ts';
import { transferCall } from '../call/transfer.ts';
import { trackTransferable } from '../call/transferable.ts';
import { dial, DialFailed, type DialAttempt, type Dialog } from '../call/dial.ts';
import { mediaKindOfTransport, type MediaKind } from '../../core/media/media-kind.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import { calleeOfferOf, measuredQuality, mediaServerOf, planMedia } from '../media/media-path.ts';
import { failureReply, refuseCall } from '../refusals.ts';
import { CALL_RECORD_HEADER, earlyMediaParts, type SipReply } from '../sip-reply.ts';
import { dialogHandleOf, hangUpDialog, sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { answerStopped, stoppedState } from './ringing-stop.ts';
import { wakeByPush, type Devices } from './push-ring.ts';

export interface Ringing {
  readonly direction: 'inbound' | 'onnet';
  /** Who placed the call, for on-net calls: they get a record of it too. */
  readonly callerAccountId: string | null;
  readonly calleeAccountId: string;
  readonly number: E164;
  /** The caller's number as the callee's devices show it; null: anonymous. */
  readonly callerNumber: string | null;
  /** The carrier an inbound call came through. */
  readonly trunkId?: number;
}

/** Both parties' records of one call (the caller's only for on-net calls), written together. */
async function openRecords(deps: CallDeps, facts: InviteFacts, call: Ringing) {
  const open = (accountId: string) =>
    openCdr(deps.db, deps.vault, {
      sipCallId: facts.callId,
      direction: call.direction,
      accountId,
      fromNumber: call.callerNumber,
      toNumber: call.number,
      nodeId: deps.nodeId,
      ...(call.trunkId === undefined ? {} : { trunkId: call.trunkId }),
    });
  const calleeCdr = await open(call.calleeAccountId);
  const callerCdr = call.callerAccountId === null ? null : await open(call.callerAccountId);
  return {
    calleeCdr,
    callerCdr,
    record: async (state: CallState, extra: CdrExtra = {}) => {
      for (const id of [calleeCdr, callerCdr]) if (id !== null) await recordCdrState(deps.db, id, state, extra);
    },
  };
}

/** How the devices see who calls (RFC 3261 §8.1.1.3; anonymous per RFC 3323 §4.1.1.3 when the number is unknown). */
function fromHeader(callerNumber: string | null, realm: string): string {
  return callerNumber === null ? '"Anonymous" <sip:anonymous@anonymous.invalid>' : `<sip:${callerNumber}@${realm}>`;
}

interface Ring {
  readonly attempt: DialAttempt;
  readonly media: MediaPath;
}

/** Rings every live registration of the callee; resolves when the call is over. */
export async function ringAccount(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, call: Ringing): Promise<void> {
  const { calleeCdr, callerCdr, record } = await openRecords(deps, facts, call);
  let devices = await liveRegistrations(deps.db, call.calleeAccountId, new Date());
  // The caller gave up while we looked the devices up (or pushed to none): ring none of them.
  const cancelledMeanwhile = async () => {
    if (!facts.cancelled.aborted) return false;
    answerStopped(facts, res);
    await record(stoppedState(facts, { phase: 'setup' }));
    return true;
  };
  if (await cancelledMeanwhile()) return;
  const refuse = (why: Refusal) =>
    refuseCall(
      deps,
      res,
      facts,
      { direction: call.direction, accountId: call.calleeAccountId, cdrIds: [calleeCdr, ...(callerCdr === null ? [] : [callerCdr])] },
      why,
    );
  let state: CallState = { phase: 'setup' };
  if (devices.length === 0) {
    if (deps.push === undefined) return refuse(refusal('offline'));
    const woken = await wakeByPush({ ...deps, push: deps.push }, res, facts, call.calleeAccountId, { calleeCdr, record });
    if (woken.kind === 'offline') return (await cancelledMeanwhile()) ? undefined : refuse(refusal('offline'));
    if (woken.kind === 'ended') return;
    ({ devices, state } = woken);
  }

  // Each kind of device (browser, SIP phone) gets the offer it can take: as sent, or through the media server.
  const paths = new Map<MediaKind, MediaPath>();
  const unreachable: string[] = [];
  for (const kind of new Set(devices.map((device) => mediaKindOfTransport(device.transport)))) {
    const plan = await planMedia(deps.media, facts.sdp, kind);
    if (plan.ok) paths.set(kind, plan.path);
    else unreachable.push(plan.detail);
  }
  const reachable = devices.filter((device) => paths.has(mediaKindOfTransport(device.transport)));
  const releaseAll = () => paths.forEach((path) => path.release());
  if (reachable.length === 0) return refuse(refusal('media-unavailable', unreachable.join('; ')));
  if (unreachable.length > 0) deps.logger.info({ skipped: devices.length - reachable.length, why: unreachable }, "some devices cannot take this call's media");

  try {
    await connectDevices(deps, req, res, facts, call, state, reachable, paths, { calleeCdr, callerCdr, record });
  } finally {
    releaseAll();
  }
}

async function connectDevices(
  deps: CallDeps,
  req: SrfRequest,
  res: SrfResponse,
  facts: InviteFacts,
  call: Ringing,
  from: CallState,
  devices: Devices,
  paths: ReadonlyMap<MediaKind, MediaPath>,
  records: { readonly calleeCdr: string; readonly callerCdr: string | null; record(state: CallState, extra?: CdrExtra): Promise<void> },
): Promise<void> {
  const { record } = records;
  let state: CallState = nextState(from, { type: 'dial', target: `${devices.length} device(s)` });
  const rings: Ring[] = devices.map((device) => {
    const media = paths.get(mediaKindOfTransport(device.transport))!;
    const attempt = dial(
      deps.srf,
      // Reach the device the way its REGISTER came in: NATs and WebSocket connections only work backwards.
      {
        uri: device.contact,
        proxy: `sip:${device.source_address}:${device.source_port};transport=${device.transport}`,
        headers: { From: fromHeader(call.callerNumber, deps.auth.realm), [CALL_RECORD_HEADER]: records.calleeCdr },
      },
      calleeOfferOf(media),
      (status, sdp) => {
        if (!res.finalResponseSent && status > 100 && status < 200)
          res.send(status, sdp && media.via === 'direct' ? earlyMediaParts(facts.localContact, sdp) : {});
      },
    );
    return { attempt, media };
  });
  // A CANCEL that came while the media was planned (a media server is I/O) has fired already: honour it too.
  let cancelled = false;
  const cancelAll = () => {
    cancelled = true;
    for (const ring of rings) ring.attempt.cancel();
  };
  if (facts.cancelled.aborted) cancelAll();
  else facts.cancelled.addEventListener('abort', cancelAll);
  // RFC 3261 §16.7: a 6xx (the user declined on one device) ends the whole fork: the other devices stop ringing.
  let declined: DialFailed | undefined;
  for (const { attempt } of rings) {
    attempt.answered.catch((error: unknown) => {
      if (!(error instanceof DialFailed) || error.status < 600 || declined !== undefined) return;
      declined = error;
      for (const ring of rings) ring.attempt.cancel();
    });
  }

  let winner: { dialog: Dialog; ring: Ring };
  try {
    winner = await Promise.any(rings.map((ring) => ring.attempt.answered.then((dialog) => ({ dialog, ring }))));
  } catch (error) {
    if (cancelled) {
      state = stoppedState(facts, state);
      answerStopped(facts, res);
    } else {
      const failures = error instanceof AggregateError ? error.errors.filter((failure): failure is DialFailed => failure instanceof DialFailed) : [];
      const final = callerFacingFailure(declined, failures);
      state = nextState(state, { type: 'attempt-failed', status: final.reply.status, cause: final.cause });
      if (!res.finalResponseSent) sendReply(res, final.reply);
    }
    await record(state);
    return;
  }
  // First answer wins: cancel the others, and hang up any that answered in the same instant.
  for (const { attempt } of rings) {
    attempt.cancel();
    void attempt.answered.then(
      (dialog) => dialog !== winner.dialog && hangUpDialog(dialog),
      (error: unknown) => void (error instanceof DialFailed),
    );
  }

  const media = winner.ring.media;
  const answered = await answerAndBridge(deps, req, res, {
    direction: call.direction,
    state,
    callerAnswer: () => media.answerCaller(winner.dialog.remote.sdp),
    join: (caller) => {
      const bridge: DialogBridge = bridgeDialogs(caller, winner.dialog, {
        media,
        ...(deps.reconnect ? { reconnect: deps.reconnect } : {}),
        onRefer: (from, referReq, referRes) => void transferCall(deps, transferable, from, referReq, referRes),
      });
      const transferable = {
        callId: facts.callId,
        dialogs: { caller, callee: winner.dialog },
        parties: {
          caller: { accountId: call.callerAccountId, recordId: records.callerCdr, number: call.callerNumber },
          callee: { accountId: call.calleeAccountId, recordId: records.calleeCdr, number: call.number },
        },
        media,
        bridge: () => bridge,
      };
      trackTransferable(transferable);
      return bridge;
    },
    answered: { callee_dialog: dialogHandleOf(winner.dialog), media_server: mediaServerOf(media) },
    record,
    abandon: () => hangUpDialog(winner.dialog),
    ...(records.callerCdr === null ? {} : { callerRecordId: records.callerCdr }),
  });
  if (answered === undefined) return;
  await record(answered.state, { mos: await measuredQuality(media) });
  // A transferred call goes on over this call's media path, released once this returns.
  await answered.end.continued;
}

/**
 * What the caller hears when no device answered (RFC 3261 §16.7 picks the best response): a device's decline (6xx)
 * or busy (486) as the device said it; otherwise 480, which is ours to explain (`X-Reason: no-answer`).
 */
function callerFacingFailure(declined: DialFailed | undefined, failures: readonly DialFailed[]): { reply: SipReply; cause: string } {
  const told = declined ?? failures.find((failure) => failure.status === 486);
  if (told !== undefined) return { reply: { status: told.status, reason: told.reason, headers: {} }, cause: `device answered ${told.status}` };
  return { reply: failureReply({ reason: 'no-answer' }), cause: 'no device answered' };
}
