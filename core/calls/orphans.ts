/**
 * At start: calls that this node's previous process left open (it crashed or was killed mid-call) are closed from
 * their last known state, and their credit holds settled for the talk time up to the last heartbeat or released.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { release, settle, ReservationClosedError } from '../billing/reservations.ts';
import { closeOrphanedCdrs } from './cdr.ts';
import type { HangUpLeg } from './dialog-handle.ts';

export interface OrphanRecovery {
  readonly closed: number;
  /** The legs BYE was sent on, and why each failed one did. */
  readonly legs: number;
  readonly failures: readonly string[];
}

/** @param endLeg sends BYE on a leg the SIP server may still hold (the caller and callee of an answered orphan), by its handle. */
export async function recoverOrphans(db: Kysely<Database>, nodeId: string, now: Date, endLeg?: HangUpLeg): Promise<OrphanRecovery> {
  const orphans = await closeOrphanedCdrs(db, nodeId, now);
  // The legs may still be up at the carrier and the phone (media flows without us): hang them up, or the carrier
  // would keep charging the operator for a call nobody bills.
  const legs = orphans.flatMap((orphan) => orphan.dialogs);
  let failures: string[] = [];
  if (endLeg !== undefined && legs.length > 0) {
    const results = await Promise.allSettled(legs.map((leg) => endLeg(leg)));
    failures = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as Error).message ?? result.reason)] : []));
    await db
      .updateTable('cdrs')
      .set({ caller_dialog: null, callee_dialog: null })
      .where(
        'id',
        'in',
        orphans.map((orphan) => orphan.id),
      )
      .execute();
  }
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
  return { closed: orphans.length, legs: endLeg === undefined ? 0 : legs.length, failures };
}
