/**
 * An operator's hang-up of a live call. The api role may run apart from the signaling node that holds the call (and
 * there may be several nodes), so the decision is recorded on the call's record (`hangup_requested_at`, 0051) and
 * audited in one transaction; the node named by the record's `node_id` finds it on its next poll
 * (`hangUpsRequested`) and ends the call from its side, closed by `system` with the cause `operator`: an answered
 * call with BYE on both legs, billed to that moment; one still ringing with CANCEL on the legs it rings and
 * {@link OPERATOR_STOP_STATUS} to the caller, not charged.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { CallAdminError } from './call-admin-error.ts';

/** The hangup cause the call's record is closed with. */
export const OPERATOR_HANG_UP_CAUSE = 'operator';

/**
 * What the caller of a call still ringing is answered when an operator ends it (with `X-Reason: operator`). 480
 * Temporarily Unavailable (RFC 3261 §21.4.18: the callee was reached but is not available now) ends the attempt at
 * this destination only. Not 503 (§21.5.4): it says this server is overloaded or down, and a caller's proxy then
 * tries the request at another server (§16.7, RFC 3263), placing the call again. Not 487 either: that answers a
 * CANCEL or BYE of the caller's own (§21.4.25).
 */
export const OPERATOR_STOP_STATUS = 480;

export interface HangUpRequest {
  readonly callId: string;
  /** The signaling node that holds the call and will end it. */
  readonly nodeId: string;
  readonly requestedAt: Date;
  /** False when an earlier request stands (asking again changes nothing and is not audited again). */
  readonly recorded: boolean;
}

/**
 * Records the request, or finds the one already made, ringing or answered. A call that is over is a conflict, an
 * unknown id not found.
 * @example const { nodeId } = await requestHangUp(db, { callId, operatorId }, new Date());
 */
export async function requestHangUp(
  db: Kysely<Database>,
  request: { readonly callId: string; readonly operatorId: string },
  now: Date,
): Promise<HangUpRequest> {
  return db.transaction().execute(async (trx) => {
    const call = await trx
      .selectFrom('cdrs')
      .select(['id', 'account_id', 'node_id', 'ended_at', 'hangup_requested_at'])
      .where('id', '=', request.callId)
      .forUpdate()
      .executeTakeFirst();
    if (call === undefined) throw new CallAdminError('not_found', 'no such call');
    if (call.ended_at !== null) throw new CallAdminError('conflict', `the call already ended at ${call.ended_at.toISOString()}`);
    const found = { callId: call.id, nodeId: call.node_id };
    if (call.hangup_requested_at !== null) return { ...found, requestedAt: call.hangup_requested_at, recorded: false };
    await trx.updateTable('cdrs').set({ hangup_requested_at: now }).where('id', '=', call.id).execute();
    await recordAudit(trx, {
      action: 'calls.hang_up_requested',
      actorAccountId: request.operatorId,
      subjectAccountId: call.account_id,
      detail: { callId: call.id, nodeId: call.node_id },
    });
    return { ...found, requestedAt: now, recorded: true };
  });
}

/**
 * The SIP Call-IDs of this node's open records that an operator asked to hang up. Read through 0021's partial index
 * of open records, so its cost follows the node's calls up, not the table.
 */
export async function hangUpsRequested(db: Kysely<Database>, nodeId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('cdrs')
    .select('sip_call_id')
    .where('node_id', '=', nodeId)
    .where('ended_at', 'is', null)
    .where('hangup_requested_at', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.sip_call_id));
}
