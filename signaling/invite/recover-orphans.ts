/**
 * At start: calls that this node's previous process left open (it crashed or was killed mid-call) are closed from
 * their last known state, and their credit holds settled for the talk time up to the last heartbeat or released.
 */
import { release, settle, ReservationClosedError } from '../../core/billing/reservations.ts';
import { closeOrphanedCdrs } from '../../core/calls/cdr.ts';
import type { CallDeps } from './call-context.ts';

export interface RecoveryDeps extends Pick<CallDeps, 'db' | 'nodeId' | 'logger'> {
  /** Sends BYE on a leg drachtio-server still holds (the caller and callee of an answered orphan). */
  readonly endLeg?: (dialogId: string) => Promise<unknown>;
}

export async function recoverOrphanedCalls(deps: RecoveryDeps, now: Date): Promise<number> {
  const orphans = await closeOrphanedCdrs(deps.db, deps.nodeId, now);
  // The legs may still be up at the carrier and the phone (media flows without us): hang them up, or the carrier
  // would keep charging the operator for a call nobody bills.
  const legs = orphans.flatMap((orphan) => orphan.dialogs);
  if (deps.endLeg !== undefined && legs.length > 0) {
    const results = await Promise.allSettled(legs.map((dialogId) => deps.endLeg!(dialogId)));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as Error).message ?? result.reason)] : []));
    deps.logger.warn({ legs: legs.length, hungUp: legs.length - failures.length, failures }, 'sent BYE on the legs of calls left up');
    await deps.db.updateTable('cdrs').set({ caller_dialog: null, callee_dialog: null }).where('id', 'in', orphans.map((orphan) => orphan.id)).execute();
  }
  for (const orphan of orphans) {
    const held = await deps.db.selectFrom('reservations').select(['id', 'max_seconds']).where('cdr_id', '=', orphan.id).where('status', '=', 'active').executeTakeFirst();
    if (held === undefined) continue;
    try {
      if (orphan.answeredAt === null) {
        await release(deps.db, held.id);
        continue;
      }
      const seconds = Math.min(held.max_seconds, Math.ceil((orphan.endedAt.getTime() - orphan.answeredAt.getTime()) / 1000));
      const cost = await settle(deps.db, held.id, seconds);
      await deps.db.updateTable('cdrs').set({ billable_seconds: seconds, cost }).where('id', '=', orphan.id).execute();
    } catch (error) {
      // The expiry job got there first: the hold is already closed.
      if (!(error instanceof ReservationClosedError)) throw error;
    }
  }
  if (orphans.length > 0) deps.logger.warn({ closed: orphans.length }, 'closed calls left open by a previous process');
  return orphans.length;
}
