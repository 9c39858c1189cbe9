/**
 * Calls a process could not close itself: at its start, those its previous process left open (crashed or killed
 * mid-call); on any live node or the jobs role, those of a node silent past CALL_NODE_DEAD_SECONDS. Each is closed
 * from its last known state, its credit hold settled for the talk time up to the last heartbeat or released, and its
 * legs, which the carrier and the phone may still hold (media flows without us), owed a BYE until one is sent.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { release, settle, ReservationClosedError } from '../billing/reservations.ts';
import { closeOrphanedCdrs, type FaultScope, type OrphanedCall } from './cdr.ts';
import { asDialogHandle, type HangUpLeg } from './dialog-handle.ts';
import { silentNodes } from './nodes.ts';

export interface OrphanRecovery {
  readonly closed: number;
  /** The legs BYE was sent on, and why each failed one did. */
  readonly legs: number;
  readonly failures: readonly string[];
}

/**
 * Closes `nodeId`'s open calls and, with `endLeg` (a process with a drachtio connection), hangs up their legs.
 * @param endLeg sends BYE on a leg the SIP server may still hold, by its handle.
 */
export async function recoverOrphans(db: Kysely<Database>, nodeId: string, now: Date, endLeg?: HangUpLeg): Promise<OrphanRecovery> {
  const orphans = await closeOrphanedCdrs(db, nodeId, now);
  await settleOrphans(db, orphans);
  const hungUp = endLeg === undefined ? { legs: 0, failures: [] } : await hangUpOwedLegs(db, [nodeId], endLeg);
  return { closed: orphans.length, ...hungUp };
}

/**
 * Records a live process closes after an internal error of its own (cause internal-error; an answered one at its
 * last sign of life), their holds settled for that talk time or released: one call's, right after the error, or
 * every one it holds open but no longer carries (no handler or bridge holds its Call-ID), which is what a write that
 * failed with the database down leaves behind, closed by the heartbeat once it is back.
 * @example
 * await closeFaultedRecords(db, 'sig-1', { sipCallId }, new Date());
 * await closeFaultedRecords(db, 'sig-1', { notCarried: callIds, startedBefore: anIntervalAgo }, new Date());
 */
export async function closeFaultedRecords(db: Kysely<Database>, nodeId: string, scope: FaultScope, now: Date): Promise<number> {
  const closed = await closeOrphanedCdrs(db, nodeId, now, scope);
  await settleOrphans(db, closed);
  return closed.length;
}

/**
 * What a live node (or the jobs role, without `endLeg`) does for the nodes silent longer than `deadAfterMs`: closes
 * and bills their calls as their own restart would, and sends the BYEs they owe.
 * @example await closeSilentNodes(db, new Date(), 60_000, { self: 'sig-2', endLeg: (leg) => hangUpLeg(srf, leg) });
 */
export async function closeSilentNodes(
  db: Kysely<Database>,
  now: Date,
  deadAfterMs: number,
  options: { readonly self?: string; readonly endLeg?: HangUpLeg } = {},
): Promise<OrphanRecovery & { readonly nodes: readonly string[] }> {
  const nodes = await silentNodes(db, now, deadAfterMs, options.self);
  let closed = 0;
  let legs = 0;
  const failures: string[] = [];
  for (const node of nodes) {
    const recovery = await recoverOrphans(db, node, now, options.endLeg);
    closed += recovery.closed;
    legs += recovery.legs;
    failures.push(...recovery.failures);
  }
  return { nodes, closed, legs, failures };
}

/**
 * Sends BYE on every leg these nodes' ended calls still owe one (their handles kept: core/calls/cdr.ts), then
 * forgets the handles whatever the outcome: a dialog drachtio-server no longer knows cannot be reached later either.
 * Call it only with a connection up, so a BYE is not lost for want of one.
 */
export async function hangUpOwedLegs(db: Kysely<Database>, nodeIds: readonly string[], endLeg: HangUpLeg): Promise<Omit<OrphanRecovery, 'closed'>> {
  if (nodeIds.length === 0) return { legs: 0, failures: [] };
  const owing = await db
    .selectFrom('cdrs')
    .select(['id', 'caller_dialog', 'callee_dialog'])
    .where('node_id', 'in', nodeIds)
    .where('ended_at', 'is not', null)
    .where((eb) => eb.or([eb('caller_dialog', 'is not', null), eb('callee_dialog', 'is not', null)]))
    .execute();
  if (owing.length === 0) return { legs: 0, failures: [] };
  const legs = owing.flatMap((row) => [row.caller_dialog, row.callee_dialog].filter((dialog): dialog is string => dialog !== null).map(asDialogHandle));
  const results = await Promise.allSettled(legs.map((leg) => endLeg(leg)));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as Error).message ?? result.reason)] : []));
  await db
    .updateTable('cdrs')
    .set({ caller_dialog: null, callee_dialog: null })
    .where(
      'id',
      'in',
      owing.map((row) => row.id),
    )
    .execute();
  return { legs: legs.length, failures };
}

async function settleOrphans(db: Kysely<Database>, orphans: readonly OrphanedCall[]): Promise<void> {
  for (const orphan of orphans) {
    const held = await db
      .selectFrom('reservations')
      .select(['id', 'max_seconds'])
      .where('cdr_id', '=', orphan.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (held === undefined) continue;
    try {
      if (orphan.answeredAt === null) {
        await release(db, held.id);
        continue;
      }
      const seconds = Math.min(held.max_seconds, Math.ceil((orphan.endedAt.getTime() - orphan.answeredAt.getTime()) / 1000));
      const cost = await settle(db, held.id, seconds);
      await db.updateTable('cdrs').set({ billable_seconds: seconds, cost }).where('id', '=', orphan.id).execute();
    } catch (error) {
      // The expiry job got there first: the hold is already closed.
      if (!(error instanceof ReservationClosedError)) throw error;
    }
  }
}
