/** A user's own calls, newest first, a page at a time (keyset on start time and id, so pages never shift). */
import type { Kysely, Selectable } from 'kysely';
import type { CdrsTable, Database } from '../../db/schema.ts';

export type CallRecord = Pick<
  Selectable<CdrsTable>,
  'id' | 'direction' | 'from_number' | 'to_number' | 'phase' | 'refusal_reason' | 'sip_status' | 'hangup_cause' | 'ended_by' | 'started_at' | 'answered_at' | 'ended_at' | 'billable_seconds' | 'cost'
>;

export interface HistoryCursor {
  readonly startedAt: Date;
  readonly id: string;
}

/**
 * @example
 * const first = await callHistory(db, accountId, { limit: 50 });
 * const next = await callHistory(db, accountId, { limit: 50, before: { startedAt: last.started_at, id: last.id } });
 */
export async function callHistory(db: Kysely<Database>, accountId: string, page: { limit: number; before?: HistoryCursor }): Promise<CallRecord[]> {
  let query = db
    .selectFrom('cdrs')
    .select(['id', 'direction', 'from_number', 'to_number', 'phase', 'refusal_reason', 'sip_status', 'hangup_cause', 'ended_by', 'started_at', 'answered_at', 'ended_at', 'billable_seconds', 'cost'])
    .where('account_id', '=', accountId);
  const before = page.before;
  if (before !== undefined) {
    query = query.where((eb) => eb.or([eb('started_at', '<', before.startedAt), eb.and([eb('started_at', '=', before.startedAt), eb('id', '<', before.id)])]));
  }
  return query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}
