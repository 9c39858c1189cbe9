/**
 * A registered user calls a number: the echo test's number -> echo-call.ts; else parse it -> a DID we host rings on-net, anything else -> abuse rules -> rate
 * -> reserve credit (within the account's concurrency and spend limits) -> trunks by priority (next on
 * 408/5xx/timeout) -> bridge with a timer at the credit's limit -> settle -> watch for abuse patterns.
 */
import { checkCallRules } from '../../core/abuse/call-rules.ts';
import { findRate } from '../../core/billing/rating.ts';
import { release, reserve, settle } from '../../core/billing/reservations.ts';
import { nextState, talkSeconds, type CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { refusal } from '../../core/calls/refusal.ts';
import { outboundTrunks, type Trunk } from '../../core/calls/trunks.ts';
import { toE164, type E164 } from '../../core/numbers.ts';
import { bridgeDialogs } from '../call/bridge.ts';
import { dial, DialFailed, type Dialog, type DialTarget } from '../call/dial.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import { calleeOfferOf, measuredQuality, mediaServerOf, planMedia } from '../media/media-path.ts';
import { earlyMediaParts } from '../sip-reply.ts';
import { dialogIdOf, hangUpDialog, type SrfRequest, type SrfResponse } from '../srf.ts';
import { watchForAbuse } from './abuse-watch.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { echoCall, echoTestFor } from './echo-call.ts';
import { refuseCall } from './handle-invite.ts';
import { ringAccount } from './inbound-call.ts';

/** 408, 5xx and our own timeout move on to the next trunk; any other failure is the callee's answer. */
function worthFailover(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

async function callerIdOf(deps: CallDeps, accountId: string): Promise<string | undefined> {
  const did = await deps.db.selectFrom('dids').select('e164').where('account_id', '=', accountId).orderBy('e164').executeTakeFirst();
  return did?.e164 ?? deps.defaultCallerId;
}

function trunkTarget(trunk: Trunk, number: E164, callerId: string | undefined): DialTarget {
  const hop = new URL(trunk.outbound_uri!.replace(/^sip:/, 'sip://'));
  return {
    uri: `sip:${number}@${hop.host}`,
    proxy: trunk.outbound_uri!,
    ...(trunk.auth_username && trunk.auth_password ? { auth: { username: trunk.auth_username, password: trunk.auth_password } } : {}),
    headers: callerId === undefined ? {} : ({ From: `<sip:${callerId}@${hop.hostname}>` } as Record<string, string>),
  };
}

/** Tries each trunk in turn; resolves with the answered dialog and its trunk, or the last failure. */
async function dialTrunks(
  deps: CallDeps,
  res: SrfResponse,
  facts: InviteFacts,
  number: E164,
  callerId: string | undefined,
  media: MediaPath,
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
  for (const trunk of trunks) {
    // Also true when the CANCEL came before any trunk was dialled: then none is.
    if (facts.cancelled.aborted) {
      cancelled = true;
      failure = new DialFailed(487, 'caller cancelled');
      break;
    }
    onAttempt(trunk);
    deps.logger.debug({ trunk: trunk.name }, 'dialling trunk');
    const attempt = dial(deps.srf, trunkTarget(trunk, number, callerId), calleeOfferOf(media), (status, sdp) => relayProgress(deps, res, facts, media, status, sdp));
    current = attempt;
    const timeout = setTimeout(() => attempt.cancel(), deps.trunkTimeoutMs);
    try {
      return { dialog: await attempt.answered, trunk };
    } catch (error) {
      if (!(error instanceof DialFailed)) throw error;
      // Our own CANCEL on timeout comes back as 487: for failover that is a 408.
      failure = !cancelled && error.status === 487 ? new DialFailed(408, 'trunk timeout') : error;
      deps.logger.info({ trunk: trunk.name, status: failure.status }, 'trunk attempt failed');
      if (!worthFailover(failure.status)) break;
    } finally {
      clearTimeout(timeout);
    }
  }
  return { failure, cancelled };
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

export async function outboundCall(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, accountId: string): Promise<void> {
  // The echo test's short code is no phone number: recognised before any parsing, free, no carrier.
  const echoTest = echoTestFor(deps, facts.dialled);
  if (echoTest !== undefined) return echoCall(deps, req, res, facts, accountId, echoTest);
  const parsed = toE164(facts.dialled, deps.defaultCountry);
  if (!parsed.ok) return refuseCall(deps, res, facts, { direction: 'outbound', accountId }, refusal('bad-number', parsed.error.reason));
  const number = parsed.e164;

  // A number we host rings its owner's devices: on-net, free.
  const hosted = await deps.db.selectFrom('dids').select('account_id').where('e164', '=', number).executeTakeFirst();
  const callerId = await callerIdOf(deps, accountId);
  if (hosted?.account_id) {
    return ringAccount(deps, req, res, facts, { direction: 'onnet', callerAccountId: accountId, calleeAccountId: hosted.account_id, number, callerNumber: callerId ?? null });
  }

  const cdrId = await openCdr(deps.db, { sipCallId: facts.callId, direction: 'outbound', accountId, fromNumber: callerId ?? null, toNumber: number, nodeId: deps.nodeId });
  const refuse = (why: ReturnType<typeof refusal>) => refuseCall(deps, res, facts, { direction: 'outbound', accountId, cdrId }, why);

  const rules = await checkCallRules(deps.db, deps.abuse, accountId, number, new Date());
  if (!rules.ok) return refuse(rules.refusal);

  const rate = await findRate(deps.db, number, new Date());
  if (rate === null) return refuse(refusal('no-rate'));
  // Carriers speak plain RTP: a browser's WebRTC offer needs the media server in between. Decided before any credit
  // is held, so a call that cannot carry audio never touches the ledger.
  const media = await planMedia(deps.media, facts.sdp, 'rtp');
  if (!media.ok) return refuse(refusal('media-unavailable', media.detail));
  try {
    // Linked to the CDR, so a hold left by a crash is settled from the call's record.
    const held = await reserve(deps.db, accountId, rate, { ...deps.reservationLimits, ...rules.reservationLimits }, { cdrId });
    if (!held.ok) return await refuse(refusal(held.reason === 'insufficient-credit' ? 'no-credit' : held.reason));
    const trunks = await outboundTrunks(deps.db);
    if (trunks.length === 0) {
      await release(deps.db, held.reservationId);
      return await refuse(refusal('no-trunk'));
    }
    await connectToTrunk(deps, req, res, facts, { accountId, cdrId, number, callerId, trunks, held, media: media.path });
  } finally {
    media.path.release();
  }
}

interface OutboundLeg {
  readonly accountId: string;
  readonly cdrId: string;
  readonly number: E164;
  readonly callerId: string | undefined;
  readonly trunks: readonly Trunk[];
  readonly held: { readonly reservationId: string; readonly maxSeconds: number };
  readonly media: MediaPath;
}

/** Dials the trunks, bridges the answered call under its credit limit, and settles it when it ends. */
async function connectToTrunk(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, leg: OutboundLeg): Promise<void> {
  const { accountId, cdrId, number, callerId, trunks, held, media } = leg;
  let state: CallState = { phase: 'setup' };
  const outcome = await dialTrunks(deps, res, facts, number, callerId, media, trunks, (trunk) => {
    state = nextState(state, { type: 'dial', target: trunk.name });
  });
  if ('failure' in outcome) {
    await release(deps.db, held.reservationId);
    state = outcome.cancelled ? nextState(state, { type: 'cancel' }) : nextState(state, { type: 'attempt-failed', status: outcome.failure.status, cause: outcome.failure.reason, retry: false });
    if (!res.finalResponseSent) {
      if (outcome.cancelled) res.send(487);
      else res.send(outcome.failure.status === 408 ? 503 : outcome.failure.status, { headers: { 'X-Reason': 'trunk-failure' } });
    }
    await recordCdrState(deps.db, cdrId, state, { sip_status: outcome.failure.status });
    return;
  }

  const { dialog: callee, trunk } = outcome;
  let callerAnswer: string;
  try {
    callerAnswer = await media.answerCaller(callee.remote.sdp);
  } catch (error) {
    // The media server would not take the caller's offer (or is gone): nobody could hear anything.
    hangUpDialog(callee);
    await release(deps.db, held.reservationId);
    if (!res.finalResponseSent) res.send(488, { headers: { 'X-Reason': 'media-unavailable' } });
    const failed = nextState(state, { type: 'attempt-failed', status: 488, cause: 'media-unavailable', retry: false });
    await recordCdrState(deps.db, cdrId, failed, { trunk_id: trunk.id, sip_status: 488 });
    deps.logger.warn({ err: (error as Error).message, via: media.via }, 'media server could not answer the caller');
    return;
  }
  let caller: Dialog;
  try {
    caller = await deps.srf.createUAS(req, res, { localSdp: callerAnswer });
  } catch (error) {
    // The caller went away while the callee answered: hang up the callee, charge nothing.
    hangUpDialog(callee);
    await release(deps.db, held.reservationId);
    await recordCdrState(deps.db, cdrId, nextState(state, { type: 'cancel' }), { trunk_id: trunk.id });
    deps.logger.info({ err: (error as Error).message }, 'caller gone before answer completed');
    return;
  }
  state = nextState(state, { type: 'answer', at: new Date() });
  // Bridged before anything is awaited: a BYE that follows the ACK at once would otherwise reach a dialog with no
  // 'destroy' listener yet, be lost, and leave the callee leg and the hold up.
  const bridge = bridgeDialogs(caller, callee, { maxSeconds: held.maxSeconds, media });
  deps.activeCalls.add(bridge, accountId);
  await recordCdrState(deps.db, cdrId, state, { trunk_id: trunk.id, sip_status: 200, caller_dialog: dialogIdOf(caller), callee_dialog: dialogIdOf(callee), media_server: mediaServerOf(media) });
  deps.metrics.callsAnswered.inc({ direction: 'outbound' });
  const end = await bridge.ended;
  state = nextState(state, { type: 'hangup', by: end.by, at: end.at, cause: end.cause });
  deps.metrics.callsEnded.inc({ cause: end.cause });
  const seconds = Math.min(talkSeconds(state as Extract<CallState, { phase: 'ended' }>), held.maxSeconds);
  // The media server's measurement is read while its channels are still up (released after this returns).
  const [cost, mos] = await Promise.all([settle(deps.db, held.reservationId, seconds), measuredQuality(media)]);
  await recordCdrState(deps.db, cdrId, state, { billable_seconds: seconds, cost, mos });
  deps.logger.info({ seconds, cost, by: end.by, cause: end.cause }, 'call ended');
  await watchForAbuse(deps, accountId);
}
