/**
 * A new INVITE, step by step. Where it came from decides the flow:
 *   a trunk's address        -> inbound-call.ts  (DID -> the owner's registered devices)
 *   a registered device      -> authenticate (407) -> outbound-call.ts (E.164 via a trunk) or on-net (a DID we host),
 *                               or echo-call.ts (the echo test number: the media server plays the caller back)
 *   anywhere else            -> 403 source-not-allowed, without a challenge (scanners get nothing to work with)
 * Every refusal is a SIP status + X-Reason (signaling/refusals.ts), a metric and a CDR.
 */
import { sql } from 'kysely';
import type { CallDirection } from '../../db/schema.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { refusal, type Refusal } from '../../core/calls/refusal.ts';
import { trunkForSource } from '../../core/calls/trunks.ts';
import { authenticateDigest } from '../auth/digest-auth.ts';
import { refusalReply } from '../refusals.ts';
import { sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { inboundCall } from './inbound-call.ts';
import { outboundCall } from './outbound-call.ts';

/** Answers a refusal and records it: the CDR row is the operator's view of every turned-away call. */
export async function refuseCall(
  deps: CallDeps,
  res: SrfResponse,
  facts: InviteFacts,
  call: { direction: CallDirection; accountId: string | null; cdrId?: string },
  why: Refusal,
): Promise<void> {
  deps.metrics.callRefusals.inc({ reason: why.reason });
  try {
    // Recorded before the caller hears it, so the record never lags what the caller saw.
    const cdrId =
      call.cdrId ??
      (await openCdr(deps.db, { sipCallId: facts.callId, direction: call.direction, accountId: call.accountId, fromNumber: null, toNumber: facts.dialled || null, nodeId: deps.nodeId }));
    await recordCdrState(deps.db, cdrId, { phase: 'refused', refusal: why });
  } finally {
    sendReply(res, refusalReply(why));
  }
}

/** Whether a live registration was made from this address and port: the device is ours, so it gets a challenge. */
async function isRegisteredSource(deps: CallDeps, address: string, port: number): Promise<boolean> {
  const row = await deps.db
    .selectFrom('registrations')
    .select(sql<number>`1`.as('one'))
    .where('source_address', '=', address)
    .where('source_port', '=', port)
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return row !== undefined;
}

/** `facts` come from readInvite, called as the INVITE arrives (it starts watching for the CANCEL). */
export async function handleInvite(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts): Promise<void> {
  const log = deps.logger.child({ callId: facts.callId });

  const trunk = await trunkForSource(deps.db, facts.sourceAddress);
  if (trunk !== undefined) return inboundCall({ ...deps, logger: log.child({ trunk: trunk.name }) }, req, res, facts, trunk);

  if (!(await isRegisteredSource(deps, facts.sourceAddress, facts.sourcePort))) {
    return refuseCall(deps, res, facts, { direction: 'inbound', accountId: null }, refusal('source-not-allowed'));
  }
  const auth = await authenticateDigest(deps.auth, { method: 'INVITE', authorization: facts.proxyAuthorization, sourceAddress: facts.sourceAddress });
  if ('reply' in auth) {
    // A challenge is part of every call, not a refusal; failed credentials are.
    if (auth.reply.status === 403) return refuseCall(deps, res, facts, { direction: 'outbound', accountId: null }, refusal('bad-credentials'));
    return sendReply(res, auth.reply);
  }
  return outboundCall({ ...deps, logger: log.child({ account: auth.pass.accountId }) }, req, res, facts, auth.pass.accountId);
}
