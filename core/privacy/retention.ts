/**
 * The retention run: every data source sweeps what is past its window, paused erasures resume where no
 * hold remains, and housekeeping drops spent rate-limit windows. Idempotent (a second run finds nothing)
 * and audited with its counts.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { sealLegacyCallRecords } from '../calls/cdr.ts';
import type { AccountDataSource, PrivacyTools, RetentionWindows } from './data-source.ts';
import { resumePendingErasures } from './erasure.ts';
import { accountDataSources } from './registry.ts';

/**
 * @example
 * const counts = await runRetention(db, { usageDays: 30, callDetailDays: 90, deidentifiedYears: 7, sentMailDays: 7 }, tools, null);
 */
export async function runRetention(
  db: Kysely<Database>,
  windows: RetentionWindows,
  tools: PrivacyTools,
  triggeredBy: string | null,
  sources: readonly AccountDataSource[] = accountDataSources,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  counts.erased_accounts = await resumePendingErasures(db, tools);
  for (const source of sources) {
    if (source.sweep !== undefined) counts[source.table] = await source.sweep(db, windows, tools);
  }
  // Records written before numbers were sealed get sealed over the runs, at most 100 batches of 1000 a run.
  counts.cdrs_sealed = await sealLegacyCallRecords(db, tools.vault, 100);
  const spent = await db
    .deleteFrom('rate_limit_counters')
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  counts.rate_limit_counters = Number(spent.numDeletedRows);
  await recordAudit(db, { action: 'privacy.retention_run', actorAccountId: triggeredBy, detail: { counts, windows: { ...windows } } });
  return counts;
}
