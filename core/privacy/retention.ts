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
  /** Told after each step (erasures, each table's sweep, sealing, housekeeping): steps done, of how many, and the rows touched so far. */
  onStep?: (done: number, total: number, rows: number) => void,
): Promise<Record<string, number>> {
  const sweeping = sources.filter((source) => source.sweep !== undefined);
  const total = sweeping.length + 3;
  let done = 0;
  const counts: Record<string, number> = {};
  const step = () =>
    onStep?.(
      ++done,
      total,
      Object.values(counts).reduce((sum, rows) => sum + rows, 0),
    );
  counts.erased_accounts = await resumePendingErasures(db, tools);
  step();
  for (const source of sweeping) {
    counts[source.table] = await source.sweep!(db, windows, tools);
    step();
  }
  // Records written before numbers were sealed get sealed over the runs, at most 100 batches of 1000 a run.
  counts.cdrs_sealed = await sealLegacyCallRecords(db, tools.vault, 100);
  step();
  const spent = await db
    .deleteFrom('rate_limit_counters')
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  counts.rate_limit_counters = Number(spent.numDeletedRows);
  step();
  await recordAudit(db, { action: 'privacy.retention_run', actorAccountId: triggeredBy, detail: { counts, windows: { ...windows } } });
  return counts;
}
