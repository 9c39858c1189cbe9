/**
 * An outbound call core/calls/route.ts sent to the trunks, with its media path and credit already held: trunks by
 * priority (next on 408/5xx/timeout; the caller's CANCEL or an operator's hang-up cancels the one ringing) -> answer and bridge with a timer at the credit's limit -> settle -> watch for
 * abuse patterns.
 */
import { watchAfterCall } from '../../core/abuse/abuse-patterns.ts';
import { release, settle } from '../../core/billing/reservations.ts';
import { nextState, talkSeconds, type CallState } from '../../core/calls/call-state.ts';
import { recordCdrState, type CdrExtra } from '../../core/calls/cdr.ts';
import type { Trunk } from '../../core/calls/trunks.ts';
import type { E164 } from '../../core/numbers.ts';
import type { TrunkMediaEncryption } from '../../db/schema.ts';
import { answerAndBridge } from '../call/answer-and-bridge.ts';
import { bridgeDialogs, type DialogBridge } from '../call/bridge.ts';
import { transferCall } from '../call/transfer.ts';
import { trackTransferable } from '../call/transferable.ts';
import type { DialFailed } from '../call/dial.ts';
import { dialTrunks, trunkOffer } from '../call/trunk-dial.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import { measuredQuality, mediaServerOf } from '../media/media-path.ts';
import { failureReply, type TrunkFailureReason } from '../refusals.ts';
import { earlyMediaParts } from '../sip-reply.ts';
import { dialogHandleOf, hangUpDialog, sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { answerStopped, stoppedState } from './ringing-stop.ts';

/**
 * A trunk's provisional response, passed to the caller: ringing as it is, early media (183 with SDP) as the carrier sent
 * it on a direct path or through the media server's answer on a relayed one (without it the caller would hear nothing
 * until the answer: no ringback, no "number not in service").
 */
function relayProgress(deps: CallDeps, res: SrfResponse, facts: InviteFacts, media: MediaPath, status: number, sdp: string | undefined): void {
  if (res.finalResponseSent || status <= 100) return;
  const sdpBody = (body: string) => earlyMediaParts(facts.localContact, body);
  if (sdp === undefined || (media.via !== 'direct' && media.earlyMedia === undefined)) return void res.send(status, {});
  if (media.earlyMedia === undefined) return void res.send(status, sdpBody(sdp));
  media.earlyMedia(sdp).then(
    (answer) => {
      if (!res.finalResponseSent) res.send(status, sdpBody(answer));
    },
    (error: unknown) => {
      deps.logger.warn({ err: (error as Error).message, via: media.via }, 'early media not connected');
      if (!res.finalResponseSent) res.send(status, {});
    },
  );
}

export interface OutboundLeg {
  readonly accountId: string;
  readonly cdrId: string;
  readonly number: E164;
  readonly callerId: string | undefined;
  readonly trunks: readonly Trunk[];
  readonly held: { readonly reservationId: string; readonly maxSeconds: number };
  readonly media: MediaPath;
  /** What the media path offers the carriers: trunks of another encryption are skipped. */
  readonly mediaEncryption: TrunkMediaEncryption;
}

/** Dials the trunks, bridges the answered call under its credit limit, and settles it when it ends. */
export async function trunkCall(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, leg: OutboundLeg): Promise<void> {
  const { accountId, cdrId, number, callerId, trunks, held, media } = leg;
  let state: CallState = { phase: 'setup' };
  const outcome = await dialTrunks(deps, trunks, {
    number,
    callerId,
    mediaEncryption: leg.mediaEncryption,
    offerFor: (trunk) => trunkOffer(trunk, media),
    cancelled: facts.cancelled,
    onProvisional: (status, sdp) => relayProgress(deps, res, facts, media, status, sdp),
    onAttempt: (trunk) => {
      state = nextState(state, { type: 'dial', target: trunk.name });
    },
  });
  if ('failure' in outcome) {
    await release(deps.db, held.reservationId);
    state = outcome.cancelled
      ? stoppedState(facts, state)
      : nextState(state, { type: 'attempt-failed', status: outcome.failure.status, cause: outcome.failure.reason });
    // Recorded before the caller is told: with the drachtio connection gone, telling fails.
    await recordCdrState(deps.db, cdrId, state, { sip_status: state.phase === 'failed' ? state.status : outcome.failure.status });
    if (outcome.cancelled) answerStopped(facts, res);
    else if (!res.finalResponseSent) sendReply(res, failureReply({ reason: failureReason(outcome.failure), status: outcome.failure.status }));
    return;
  }

  const { dialog: callee, trunk } = outcome;
  const record = (next: CallState, extra: CdrExtra = {}) => recordCdrState(deps.db, cdrId, next, { trunk_id: trunk.id, ...extra });
  const answered = await answerAndBridge(deps, req, res, {
    direction: 'outbound',
    state,
    callerAnswer: () => media.answerCaller(callee.remote.sdp),
    join: (caller) => {
      const bridge: DialogBridge = bridgeDialogs(caller, callee, {
        maxSeconds: held.maxSeconds,
        media,
        ...(deps.reconnect ? { reconnect: deps.reconnect } : {}),
        onRefer: (from, referReq, referRes) => void transferCall(deps, transferable, from, referReq, referRes),
      });
      const transferable = {
        callId: facts.callId,
        dialogs: { caller, callee },
        parties: {
          caller: { accountId, recordId: cdrId, number: callerId ?? null },
          callee: { accountId: null, recordId: null, number },
        },
        media,
        bridge: () => bridge,
      };
      trackTransferable(transferable);
      return bridge;
    },
    answered: { callee_dialog: dialogHandleOf(callee), media_server: mediaServerOf(media) },
    record,
    abandon: async () => {
      hangUpDialog(callee);
      await release(deps.db, held.reservationId);
    },
    payingAccountId: accountId,
    callerRecordId: cdrId,
  });
  if (answered === undefined) return;
  const { end } = answered;
  const seconds = Math.min(talkSeconds(answered.state), held.maxSeconds);
  // The media server's measurement is read while its channels are still up (released after this returns).
  const quality = measuredQuality(media);
  let cost: number;
  try {
    cost = await settle(deps.db, held.reservationId, seconds);
  } catch (error) {
    // The end goes on record all the same, with its seconds: the hold's expiry then charges exactly those.
    await recordCdrState(deps.db, cdrId, answered.state, { billable_seconds: seconds, mos: await quality });
    throw error;
  }
  await recordCdrState(deps.db, cdrId, answered.state, { billable_seconds: seconds, cost, mos: await quality });
  deps.logger.info({ seconds, cost, by: end.by, cause: end.cause }, 'call ended');
  await watchForAbuse(deps, accountId);
  // A transferred call goes on over this call's media path, which the INVITE flow releases once this returns.
  await end.continued;
}

/** The X-Reason a failed trunk call ends with: our own refusals by name, any other as the trunks' failure. */
function failureReason(failure: DialFailed): TrunkFailureReason {
  return failure.reason === 'trunk-untrusted' || failure.reason === 'srtp-refused' ? failure.reason : 'trunk-failure';
}

/** After an outbound call is charged: pattern detection (core/abuse/abuse-patterns.ts), counted and logged. */
async function watchForAbuse(deps: CallDeps, accountId: string): Promise<void> {
  const tripped = await watchAfterCall(deps.db, deps.vault, deps.abuse, accountId, new Date());
  if (tripped === null) return;
  deps.metrics.abuseSuspensions.inc({ reason: tripped.reason });
  deps.logger.warn({ pattern: tripped.reason, ...tripped.detail }, 'outbound calling suspended, operator alerted');
}
