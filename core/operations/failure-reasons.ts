/**
 * Why calls in the range did not connect: our refusals by their reason (core/calls/refusal.ts, the X-Reason the
 * caller got) and carrier failures by SIP status and cause, most frequent first. Counted by the database.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { DashboardRange } from './dashboard-range.ts';

export interface FailureReason {
  readonly phase: 'refused' | 'failed';
  /** The refusal reason, or the failure's cause (e.g. `busy`, `internal-error`). */
  readonly reason: string | null;
  /** The final SIP status a failed call got from the carrier (or ours, 500 for a fault); null for a refusal. */
  readonly sipStatus: number | null;
  readonly calls: number;
}

export async function failureReasonsOf(db: Kysely<Database>, range: Pick<DashboardRange, 'from' | 'to'>): Promise<FailureReason[]> {
  const rows = await db
    .selectFrom('cdrs')
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to)
    .where('direction', '<>', 'echo')
    .where('phase', 'in', ['refused', 'failed'])
    .select(['phase', sql<string | null>`coalesce(refusal_reason, hangup_cause)`.as('reason'), 'sip_status', sql<string>`count(*)`.as('calls')])
    .groupBy(['phase', sql`coalesce(refusal_reason, hangup_cause)`, 'sip_status'])
    .execute();
  return rows
    .map((row) => ({ phase: row.phase as FailureReason['phase'], reason: row.reason, sipStatus: row.sip_status, calls: Number(row.calls) }))
    .sort((a, b) => b.calls - a.calls || String(a.reason).localeCompare(String(b.reason)) || (a.sipStatus ?? 0) - (b.sipStatus ?? 0));
}
