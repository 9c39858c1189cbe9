/**
 * An outbound call core/calls/route.ts sent to the trunks, with its media path and credit already held: trunks by
 * priority (next on 408/5xx/timeout; the caller's CANCEL or an operator's hang-up cancels the one ringing) -> answer and bridge with a timer at the credit's limit -> settle -> watch for
 * abuse patterns.
 */
import { watchAfterCall } from '../../core/abuse/abuse-patterns.ts';
import { release, settle } from '../../core/billing/reservations.ts';
import { nextState, talkSeconds, type CallState } from '../../core/calls/call-state.ts';
import { recordCdrState, type CdrExtra } from '../../core/calls/cdr.ts';
import { dialString, orderCodecs } from '../../core/calls/dial-string.ts';
import type { Trunk } from '../../core/calls/trunks.ts';
import { checksPeerCertificate, isTlsUri, srtpSdpProblem } from '../../core/calls/trunk-security.ts';
import { formatTrunkUri, parseTrunkUri } from '../../core/calls/trunk-uri.ts';
import type { E164 } from '../../core/numbers.ts';
import type { TrunkMediaEncryption } from '../../db/schema.ts';
import { answerAndBridge } from '../call/answer-and-bridge.ts';
import { bridgeDialogs } from '../call/bridge.ts';
import { dial, DialFailed, type DialOffer, type Dialog, type DialTarget } from '../call/dial.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import { calleeOfferOf, measuredQuality, mediaServerOf } from '../media/media-path.ts';
import { failureReply, type TrunkFailureReason } from '../refusals.ts';
import { earlyMediaParts } from '../sip-reply.ts';
import { dialogHandleOf, hangUpDialog, sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import { trunkCertificateProblem } from '../trunk-tls-check.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { answerStopped, stoppedState } from './ringing-stop.ts';

/** 408, 5xx and our own timeout move on to the next trunk; any other failure is the callee's answer. */
function worthFailover(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

/**
 * The attempt's Request-URI (the number at the trunk's host, written as the trunk's dialling rules say), To, caller ID
 * headers and next hop; throws for a URI no call can use.
 */
function trunkTarget(trunk: Trunk, number: E164, callerId: string | undefined): DialTarget {
  const parsed = parseTrunkUri(trunk.outbound_uri ?? '');
  if (!parsed.ok) throw new Error(`trunk ${trunk.name}: outbound URI ${parsed.problem}`);
  const { uri } = parsed;
  const { user, headers } = dialString(number, callerId, trunk, uri);
  return {
    uri: formatTrunkUri(uri, user),
    proxy: formatTrunkUri(uri),
    ...(trunk.auth_username && trunk.auth_password ? { auth: { username: trunk.auth_username, password: trunk.auth_password } } : {}),
    headers: { ...headers, To: `<${uri.scheme}:${user}@${uri.host}>` },
  };
}

/**
 * The offer this trunk gets: its codec order applied to an SDP offer. An SDES trunk gets none (the media server cannot
 * key an offer: media-control/relay.ts) and its carrier's offer, made in its 2xx, must be SRTP: a plain one is refused.
 */
function trunkOffer(trunk: Trunk, media: MediaPath): DialOffer {
  const offer = calleeOfferOf(media);
  if ('sdp' in offer) return { sdp: orderCodecs(offer.sdp, trunk.codec_order) };
  if (trunk.media_encryption !== 'sdes') return offer;
  return {
    answerOffer(carrierOffer) {
      if (srtpSdpProblem(carrierOffer) !== undefined) throw new DialFailed(488, 'srtp-refused');
      return offer.answerOffer(carrierOffer);
    },
  };
}

/** Why this attempt must not be made (its carrier's certificate, its media encryption), or undefined. */
async function attemptProblem(deps: CallDeps, trunk: Trunk, pathEncryption: TrunkMediaEncryption): Promise<DialFailed | undefined> {
  // The media path was opened for the first trunk's encryption: an SRTP one cannot carry plain RTP, nor the reverse.
  if (trunk.media_encryption !== pathEncryption) return new DialFailed(503, 'media-encryption-differs');
  const parsed = parseTrunkUri(trunk.outbound_uri ?? '');
  if (!parsed.ok || !isTlsUri(parsed.uri) || !checksPeerCertificate(trunk)) return undefined;
  const problem = await trunkCertificateProblem(parsed.uri, trunk, Math.min(deps.trunkTimeoutMs, TLS_CHECK_TIMEOUT_MS));
  if (problem === undefined) return undefined;
  deps.logger.warn({ trunk: trunk.name, problem }, 'trunk certificate refused');
  return new DialFailed(503, 'trunk-untrusted');
}

/** How long the app's own TLS handshake with a carrier (a CA or pin to check) may take. */
const TLS_CHECK_TIMEOUT_MS = 5000;

/** Tries each trunk in turn; resolves with the answered dialog and its trunk, or the last failure. */
async function dialTrunks(
  deps: CallDeps,
  res: SrfResponse,
  facts: InviteFacts,
  number: E164,
  callerId: string | undefined,
  media: MediaPath,
  mediaEncryption: TrunkMediaEncryption,
  trunks: readonly Trunk[],
  onAttempt: (trunk: Trunk) => void,
): Promise<{ dialog: Dialog; trunk: Trunk } | { failure: DialFailed; cancelled: boolean }> {
  let cancelled = false;
  let current: { cancel(): void } | undefined;
  facts.cancelled.addEventListener('abort', () => {
    cancelled = true;
    current?.cancel();
  });
  let failure = new DialFailed(503, 'no trunk answered');
  // With the drachtio connection gone no answer can come: the attempt fails at once rather than at the trunk timeout.
  let unsubscribe = () => {};
  const lost = new Promise<never>((_, reject) => {
    unsubscribe = deps.onSignalingLost(() => reject(new DialFailed(503, 'signaling-lost')));
  });
  lost.catch(() => undefined);
  try {
    const callerGone = () => {
      cancelled = true;
      failure = new DialFailed(487, 'caller cancelled');
    };
    for (const trunk of trunks) {
      // Also true when the CANCEL came before any trunk was dialled: then none is.
      if (facts.cancelled.aborted) {
        callerGone();
        break;
      }
      onAttempt(trunk);
      const problem = await attemptProblem(deps, trunk, mediaEncryption);
      if (problem !== undefined) {
        deps.logger.info({ trunk: trunk.name, reason: problem.reason }, 'trunk skipped');
        failure = problem;
        continue;
      }
      // The certificate check took a moment: the caller may have gone meanwhile.
      if (facts.cancelled.aborted) {
        callerGone();
        break;
      }
      deps.logger.debug({ trunk: trunk.name }, 'dialling trunk');
      let attempt: ReturnType<typeof dial>;
      try {
        attempt = dial(deps.srf, trunkTarget(trunk, number, callerId), trunkOffer(trunk, media), (status, sdp) =>
          relayProgress(deps, res, facts, media, status, sdp),
        );
      } catch (error) {
        // Our own fault with this trunk (a URI no call can use, a SIP stack error): the next trunk may still carry it;
        // if none does, the caller hears 503, as when no trunk answers.
        deps.logger.error({ trunk: trunk.name, err: (error as Error).message }, 'trunk attempt could not be sent');
        failure = new DialFailed(503, 'internal-error');
        continue;
      }
      current = attempt;
      const timeout = setTimeout(() => attempt.cancel(), deps.trunkTimeoutMs);
      try {
        return { dialog: await Promise.race([attempt.answered, lost]), trunk };
      } catch (error) {
        if (!(error instanceof DialFailed)) deps.logger.error({ trunk: trunk.name, err: (error as Error).message }, 'trunk attempt failed inside the app');
        const failed = error instanceof DialFailed ? error : new DialFailed(503, 'internal-error');
        // Our own CANCEL on timeout comes back as 487: for failover that is a 408.
        failure = !cancelled && failed.status === 487 ? new DialFailed(408, 'trunk timeout') : failed;
        deps.logger.info({ trunk: trunk.name, status: failure.status }, 'trunk attempt failed');
        if (!worthFailover(failure.status) || failure.reason === 'signaling-lost') break;
      } finally {
        clearTimeout(timeout);
      }
    }
    return { failure, cancelled };
  } finally {
    unsubscribe();
  }
}

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
  const outcome = await dialTrunks(deps, res, facts, number, callerId, media, leg.mediaEncryption, trunks, (trunk) => {
    state = nextState(state, { type: 'dial', target: trunk.name });
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
    join: (caller) => bridgeDialogs(caller, callee, { maxSeconds: held.maxSeconds, media, ...(deps.reconnect ? { reconnect: deps.reconnect } : {}) }),
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
