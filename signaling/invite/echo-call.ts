/**
 * The echo test (ECHO_TEST_NUMBER, `*43` by default): a registered device calls it and hears its own audio back from
 * the media server, so a new user can check microphone and speaker before any carrier or credit is involved.
 *   record the attempt (direction `echo`) -> one at a time per account (403 too-many-calls) -> the media server answers the caller's offer on one channel running
 *   FreeSWITCH's `echo` (none connected: 488 media-unavailable) -> answer the caller -> hold until the caller's BYE,
 *   the media server losing the channel (media-failure) or the time cap (max-duration, BYE from us) -> record it
 *   as free (0 billable seconds, cost 0).
 * Nothing is rated, reserved or settled: the ledger never sees it.
 */
import { nextState, type CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { refusal, type Refusal } from '../../core/calls/refusal.ts';
import type { Bridge, CallEnd } from '../call/bridge.ts';
import type { Dialog } from '../call/dial.ts';
import { mediaKindOf } from '../../core/media/media-kind.ts';
import type { EchoPath } from '../../core/media/media-relay.ts';
import { measuredQuality } from '../media/media-path.ts';
import { dialogEnded, dialogIdOf, hangUpDialog, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { refuseCall } from './handle-invite.ts';

/**
 * The echo test's settings when the dialled user part (already unescaped: SIP.js may send `*43` as `%2A43`) is its
 * number, else undefined.
 */
export function echoTestFor(deps: Pick<CallDeps, 'echoTest'>, dialled: string): CallDeps['echoTest'] {
  return deps.echoTest !== undefined && dialled === deps.echoTest.number ? deps.echoTest : undefined;
}

export async function echoCall(
  deps: CallDeps,
  req: SrfRequest,
  res: SrfResponse,
  facts: InviteFacts,
  accountId: string,
  echoTest: { readonly number: string; readonly maxSeconds: number },
): Promise<void> {
  const cdrId = await openCdr(deps.db, { sipCallId: facts.callId, direction: 'echo', accountId, fromNumber: null, toNumber: echoTest.number, nodeId: deps.nodeId });
  const refuse = (why: Refusal) => refuseCall(deps, res, facts, { direction: 'echo', accountId, cdrId }, why);

  // Counted after this call's own record is written: of two arriving together, neither slips through.
  if ((await openEchoTests(deps, accountId)) > 1) return refuse(refusal('too-many-calls', 'one echo test at a time'));
  const media = await echoChannel(deps, facts.sdp);
  if (!media.ok) return refuse(refusal('media-unavailable', media.detail));
  try {
    await answerAndHold(deps, req, res, facts, { cdrId, maxSeconds: echoTest.maxSeconds, path: media.path });
  } finally {
    media.path.release();
  }
}

/**
 * The account's echo tests not yet over, this one included: free calls still hold a media server channel each, so
 * an account gets one at a time (it is the same test however often it runs).
 */
async function openEchoTests(deps: CallDeps, accountId: string): Promise<number> {
  const row = await deps.db
    .selectFrom('cdrs')
    .select((eb) => eb.fn.countAll<string>().as('open'))
    .where('account_id', '=', accountId)
    .where('direction', '=', 'echo')
    .where('ended_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.open);
}

/** The media server's channel for this caller's offer, or why there is none. */
async function echoChannel(deps: CallDeps, offer: string): Promise<{ ok: true; path: EchoPath } | { ok: false; detail: string }> {
  if (deps.media === undefined) return { ok: false, detail: 'the echo test needs a media server; none configured' };
  try {
    return { ok: true, path: await deps.media.echo(offer, mediaKindOf(offer)) };
  } catch (error) {
    return { ok: false, detail: `media server failed: ${(error as Error).message}` };
  }
}

interface EchoLeg {
  readonly cdrId: string;
  readonly maxSeconds: number;
  readonly path: EchoPath;
}

/** Answers the caller with the media server's SDP, keeps the call up until it ends, and records it, free. */
async function answerAndHold(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, leg: EchoLeg): Promise<void> {
  const { cdrId, maxSeconds, path } = leg;
  let state: CallState = nextState({ phase: 'setup' }, { type: 'dial', target: path.via });
  // The caller gave up while the media server answered: nothing to connect.
  if (facts.cancelled.aborted) {
    if (!res.finalResponseSent) res.send(487);
    await recordCdrState(deps.db, cdrId, nextState(state, { type: 'cancel' }));
    return;
  }
  let caller: Dialog;
  try {
    caller = await deps.srf.createUAS(req, res, { localSdp: path.answer });
  } catch (error) {
    await recordCdrState(deps.db, cdrId, nextState(state, { type: 'cancel' }));
    deps.logger.info({ err: (error as Error).message }, 'caller gone before the echo test answered');
    return;
  }
  state = nextState(state, { type: 'answer', at: new Date() });
  // Held before anything is awaited, as a bridge is: a BYE right after the ACK must find a listener.
  const call = holdEcho(caller, path, maxSeconds);
  deps.activeCalls.add(call);
  await recordCdrState(deps.db, cdrId, state, { sip_status: 200, caller_dialog: dialogIdOf(caller), media_server: path.via });
  deps.metrics.callsAnswered.inc({ direction: 'echo' });

  const end = await call.ended;
  state = nextState(state, { type: 'hangup', by: end.by, at: end.at, cause: end.cause });
  deps.metrics.callsEnded.inc({ cause: end.cause });
  // Read while the channel is still up (released after this returns).
  const mos = await measuredQuality(path);
  await recordCdrState(deps.db, cdrId, state, { billable_seconds: 0, cost: 0, mos });
  deps.logger.info({ by: end.by, cause: end.cause, mos }, 'echo test ended');
}

/**
 * The answered echo call as {@link Bridge} (so shutdown hangs it up with the bridged calls): it ends on the caller's
 * BYE, when the media server loses the channel, or at `maxSeconds` (BYE from us).
 */
function holdEcho(caller: Dialog, path: EchoPath, maxSeconds: number): Bridge {
  let finish!: (end: CallEnd) => void;
  const ended = new Promise<CallEnd>((resolve) => (finish = resolve));
  let done = false;
  const end = (by: CallEnd['by'], cause: CallEnd['cause']) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (by !== 'caller') hangUpDialog(caller);
    finish({ by, at: new Date(), cause });
  };
  caller.on('destroy', () => end('caller', 'normal'));
  // Hold, resume, codec changes: nothing to renegotiate against on an echo; the call goes on as it was.
  caller.on('modify', (_req: SrfRequest, res: SrfResponse) => res.send(488, 'Not Acceptable Here', {}));
  path.lost.then(() => end('system', 'media-failure'), () => undefined);
  const timer = setTimeout(() => end('system', 'max-duration'), maxSeconds * 1000);
  if (dialogEnded(caller)) end('caller', 'normal');
  return { ended, hangUp: (cause) => end('system', cause) };
}
