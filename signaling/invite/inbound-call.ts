/**
 * A call for one of our numbers: from a trunk (inbound) or from another user (on-net). The number's owner's live
 * registrations are all rung at once (RFC 3261 §16.7 forking, done as a B2BUA): the first to answer wins and the
 * rest are cancelled. No registration -> 480; a number we do not host -> 404.
 */
import { nextState, type CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { refusal } from '../../core/calls/refusal.ts';
import type { Trunk } from '../../core/calls/trunks.ts';
import { toE164, type E164 } from '../../core/numbers.ts';
import { liveRegistrations } from '../../core/registrations.ts';
import { bridgeDialogs } from '../call/bridge.ts';
import { dial, DialFailed, type DialAttempt, type Dialog } from '../call/dial.ts';
import type { SrfRequest, SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { refuseCall } from './handle-invite.ts';

interface Ringing {
  readonly direction: 'inbound' | 'onnet';
  /** Who placed the call, for on-net calls. */
  readonly callerAccountId: string | null;
  readonly calleeAccountId: string;
  readonly number: E164;
  /** The carrier an inbound call came through. */
  readonly trunkId?: number;
}

/** Rings every live registration of the callee; resolves when the call is over. */
export async function ringAccount(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, call: Ringing): Promise<void> {
  const cdrId = await openCdr(deps.db, {
    sipCallId: facts.callId,
    direction: call.direction,
    accountId: call.calleeAccountId,
    fromNumber: null,
    toNumber: call.number,
    nodeId: deps.nodeId,
    ...(call.trunkId === undefined ? {} : { trunkId: call.trunkId }),
  });
  const devices = await liveRegistrations(deps.db, call.calleeAccountId, new Date());
  // The caller gave up while we looked the devices up: ring none of them.
  if (facts.cancelled.aborted) {
    if (!res.finalResponseSent) res.send(487);
    await recordCdrState(deps.db, cdrId, nextState({ phase: 'setup' }, { type: 'cancel' }));
    return;
  }
  if (devices.length === 0) return refuseCall(deps, res, facts, { direction: call.direction, accountId: call.calleeAccountId, cdrId }, refusal('offline'));

  let state: CallState = nextState({ phase: 'setup' }, { type: 'dial', target: `${devices.length} device(s)` });
  const attempts: DialAttempt[] = devices.map((device) =>
    dial(
      deps.srf,
      // Reach the device the way its REGISTER came in: NATs and WebSocket connections only work backwards.
      { uri: device.contact, proxy: `sip:${device.source_address}:${device.source_port};transport=${device.transport}` },
      facts.sdp,
      (status, sdp) => {
        if (!res.finalResponseSent && status > 100 && status < 200) res.send(status, sdp ? { body: sdp } : {});
      },
    ),
  );
  // Nothing is awaited between the check above and here, so no CANCEL falls in between.
  let cancelled = false;
  facts.cancelled.addEventListener('abort', () => {
    cancelled = true;
    for (const attempt of attempts) attempt.cancel();
  });

  let winner: Dialog;
  try {
    winner = await Promise.any(attempts.map((attempt) => attempt.answered));
  } catch {
    state = cancelled ? nextState(state, { type: 'cancel' }) : nextState(state, { type: 'attempt-failed', status: 480, cause: 'no device answered', retry: false });
    if (!res.finalResponseSent) res.send(cancelled ? 487 : 480, { headers: cancelled ? {} : { 'X-Reason': 'no-answer' } });
    await recordCdrState(deps.db, cdrId, state);
    return;
  }
  // First answer wins: cancel the others, and hang up any that answered in the same instant.
  for (const attempt of attempts) {
    attempt.cancel();
    void attempt.answered.then((dialog) => dialog !== winner && dialog.destroy(), (error: unknown) => void (error instanceof DialFailed));
  }

  let caller: Dialog;
  try {
    caller = await deps.srf.createUAS(req, res, { localSdp: winner.remote.sdp });
  } catch {
    winner.destroy();
    await recordCdrState(deps.db, cdrId, nextState(state, { type: 'cancel' }));
    return;
  }
  state = nextState(state, { type: 'answer', at: new Date() });
  await recordCdrState(deps.db, cdrId, state, { sip_status: 200 });
  deps.metrics.callsAnswered.inc({ direction: call.direction });
  const bridge = bridgeDialogs(caller, winner, {});
  deps.activeCalls.add(bridge);
  const end = await bridge.ended;
  await recordCdrState(deps.db, cdrId, nextState(state, { type: 'hangup', by: end.by, at: end.at, cause: end.cause }));
}

/** A carrier's INVITE: the dialled number must be a DID we host. */
export async function inboundCall(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts, trunk: Trunk): Promise<void> {
  const parsed = toE164(facts.dialled.startsWith('+') ? facts.dialled : `+${facts.dialled}`);
  const did = parsed.ok ? await deps.db.selectFrom('dids').select(['e164', 'account_id']).where('e164', '=', parsed.e164).executeTakeFirst() : undefined;
  if (!parsed.ok || did?.account_id == null) {
    return refuseCall(deps, res, facts, { direction: 'inbound', accountId: null }, refusal('unknown-did', `via trunk ${trunk.name}`));
  }
  return ringAccount(deps, req, res, facts, { direction: 'inbound', callerAccountId: null, calleeAccountId: did.account_id, number: parsed.e164, trunkId: trunk.id });
}
