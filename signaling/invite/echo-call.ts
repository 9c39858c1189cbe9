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
import { openCallsOf, openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { refusal, type Refusal } from '../../core/calls/refusal.ts';
import { answerAndBridge } from '../call/answer-and-bridge.ts';
import type { Bridge, CallEnd } from '../call/bridge.ts';
import type { Dialog } from '../call/dial.ts';
import { mediaKindOf } from '../../core/media/media-kind.ts';
import type { EchoPath } from '../../core/media/media-relay.ts';
import { measuredQuality } from '../media/media-path.ts';
import { refuseCall } from '../refusals.ts';
import { dialogEnded, hangUpDialog, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';

export async function echoCall(
  deps: CallDeps,
  req: SrfRequest,
  res: SrfResponse,
  facts: InviteFacts,
  accountId: string,
  number: string,
  maxSeconds: number,
): Promise<void> {
  const cdrId = await openCdr(deps.db, deps.vault, {
    sipCallId: facts.callId,
    direction: 'echo',
    accountId,
    fromNumber: null,
    toNumber: number,
    nodeId: deps.nodeId,
  });
  const refuse = (why: Refusal) => refuseCall(deps, res, facts, { direction: 'echo', accountId, cdrIds: [cdrId] }, why);

  // Counted after this call's own record is written: of two arriving together, neither slips through. Free calls
  // still hold a media server channel each, so an account gets one at a time (it is the same test however often).
  if ((await openCallsOf(deps.db, accountId, 'echo')) > 1) return refuse(refusal('too-many-calls', 'one echo test at a time'));
  const media = await echoChannel(deps, facts.sdp);
  if (!media.ok) return refuse(refusal('media-unavailable', media.detail));
  const path = media.path;
  try {
    const state = nextState({ phase: 'setup' }, { type: 'dial', target: path.via });
    const record = (next: CallState, extra = {}) => recordCdrState(deps.db, cdrId, next, extra);
    // The caller gave up while the media server answered: nothing to connect.
    if (facts.cancelled.aborted) {
      if (!res.finalResponseSent) res.send(487);
      return await record(nextState(state, { type: 'cancel' }));
    }
    const answered = await answerAndBridge(deps, req, res, {
      direction: 'echo',
      state,
      callerAnswer: async () => path.answer,
      join: (caller) => holdEcho(caller, path, maxSeconds),
      answered: { media_server: path.via },
      record,
      abandon: () => undefined,
      // A desk phone's or a browser's echo test: either way the account's own.
      callerRecordId: cdrId,
    });
    if (answered === undefined) return;
    // Read while the channel is still up (released after this returns).
    const mos = await measuredQuality(path);
    await record(answered.state, { billable_seconds: 0, cost: 0, mos });
    deps.logger.info({ by: answered.end.by, cause: answered.end.cause, mos }, 'echo test ended');
  } finally {
    path.release();
  }
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
  // Nobody else is on an echo test to transfer (drachtio-srf would accept a REFER nobody listens for with a 200).
  caller.on('refer', (_req: SrfRequest, res: SrfResponse) => res.send(403, 'Forbidden', { headers: { 'X-Reason': 'transfer-not-allowed' } }));
  path.lost.then(
    () => end('system', 'media-failure'),
    () => undefined,
  );
  const timer = setTimeout(() => end('system', 'max-duration'), maxSeconds * 1000);
  if (dialogEnded(caller)) end('caller', 'normal');
  return { ended, hangUp: (cause) => end('system', cause) };
}
