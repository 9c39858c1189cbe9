/** After an outbound call is charged: pattern detection (core/abuse/abuse-patterns.ts), counted and logged. */
import { watchAfterCall } from '../../core/abuse/abuse-patterns.ts';
import type { CallDeps } from './call-context.ts';

export async function watchForAbuse(deps: CallDeps, accountId: string): Promise<void> {
  const tripped = await watchAfterCall(deps.db, deps.abuse, accountId, new Date());
  if (tripped === null) return;
  deps.metrics.abuseSuspensions.inc({ reason: tripped.reason });
  deps.logger.warn({ pattern: tripped.reason, ...tripped.detail }, 'outbound calling suspended, operator alerted');
}
