/**
 * At start: calls that this node's previous process left open (it crashed or was killed mid-call) are closed from
 * their last known state, and their credit holds settled for the talk time up to the last heartbeat or released.
 */
import { release, settle, ReservationClosedError } from '../../core/billing/reservations.ts';
import { closeOrphanedCdrs } from '../../core/calls/cdr.ts';
import type { CallDeps } from './call-context.ts';

export async function recoverOrphanedCalls(deps: Pick<CallDeps, 'db' | 'nodeId' | 'logger'>, now: Date): Promise<number> {
  const orphans = await closeOrphanedCdrs(deps.db, deps.nodeId, now);
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
