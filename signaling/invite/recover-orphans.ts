/** At start: closes the calls this node's previous process left open (core/calls/orphans.ts), and says so. */
import { recoverOrphans } from '../../core/calls/orphans.ts';
import type { CallDeps } from './call-context.ts';

export interface RecoveryDeps extends Pick<CallDeps, 'db' | 'nodeId' | 'logger'> {
  /** Sends BYE on a leg drachtio-server still holds (the caller and callee of an answered orphan). */
  readonly endLeg?: (dialogId: string) => Promise<unknown>;
}

export async function recoverOrphanedCalls(deps: RecoveryDeps, now: Date): Promise<number> {
  const { closed, legs, failures } = await recoverOrphans(deps.db, deps.nodeId, now, deps.endLeg);
  if (legs > 0) deps.logger.warn({ legs, hungUp: legs - failures.length, failures }, 'sent BYE on the legs of calls left up');
  if (closed > 0) deps.logger.warn({ closed }, 'closed calls left open by a previous process');
  return closed;
}
