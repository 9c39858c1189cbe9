/** A user's own calls, newest first, a page at a time (keyset on start time and id, so pages never shift). */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CdrsTable, Database } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';
import { historyWhere, type SealedHistoryFilter } from './history-filter.ts';

/** What a user sees of each call: in the history and in the privacy export alike. */
export const CALL_RECORD_COLUMNS = [
  'id',
  'direction',
  'from_number',
  'to_number',
  'phase',
  'refusal_reason',
  'sip_status',
  'hangup_cause',
  'ended_by',
  'started_at',
  'answered_at',
  'ended_at',
  'destination_country',
  'billable_seconds',
  'cost',
  'browser_mos',
  'browser_rtt_ms',
  'browser_jitter_ms',
  'browser_loss_permille',
] as const;

export type CallRecord = Pick<Selectable<CdrsTable>, (typeof CALL_RECORD_COLUMNS)[number]>;

/** Where a page ended: the last call's start time as the database holds it (microseconds, which a Date would cut) and id. */
export interface HistoryCursor {
  readonly startedAt: string;
  readonly id: string;
}

/**
 * The records' numbers opened (sealed under the account's key: core/calls/cdr.ts), all of a page with one key read;
 * null once the key is destroyed.
 * @example
 * const calls = await openCallRecords(db, vault, rows);
 */
export async function openCallRecords<T extends Pick<CallRecord, 'from_number' | 'to_number'>>(
  db: Kysely<Database>,
  vault: Vault,
  rows: readonly T[],
): Promise<T[]> {
  const numbers = await vault.openAll(
    db,
    rows.flatMap((row) => [row.from_number, row.to_number]),
  );
  return rows.map((row, i) => ({ ...row, from_number: numbers[2 * i] ?? null, to_number: numbers[2 * i + 1] ?? null }));
}

/**
 * One page of the account's calls that pass `filter` (core/calls/history-filter.ts); the next page takes the same
 * filter and `before: next`.
 * @example
 * const first = await callHistory(db, vault, accountId, { limit: 50 });
 * const more = first.next && (await callHistory(db, vault, accountId, { limit: 50, before: first.next }));
 */
export async function callHistory(
  db: Kysely<Database>,
  vault: Vault,
  accountId: string,
  page: { limit: number; before?: HistoryCursor },
  filter: SealedHistoryFilter = {},
): Promise<{ calls: CallRecord[]; next: HistoryCursor | null }> {
  let query = db
    .selectFrom('cdrs')
    .select(CALL_RECORD_COLUMNS)
    .select(sql<string>`started_at::text`.as('started_key'))
    .where((eb) => historyWhere(eb, accountId, filter));
  const before = page.before;
  if (before !== undefined) {
    const at = sql<Date>`${before.startedAt}::timestamptz`;
    query = query.where((eb) => eb(eb.refTuple('started_at', 'id'), '<', eb.tuple(at, before.id)));
  }
  const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
  const last = rows.at(-1);
  return {
    calls: await openCallRecords(
      db,
      vault,
      rows.map(({ started_key: _key, ...call }) => call),
    ),
    next: rows.length === page.limit && last !== undefined ? { startedAt: last.started_key, id: last.id } : null,
  };
}

/**
 * Every call of the account that passes `filter`, newest first, a page at a time: an export of any length in
 * constant memory.
 * @example for await (const call of allCallHistory(db, vault, accountId, { outcome: 'answered' })) write(call);
 */
export async function* allCallHistory(
  db: Kysely<Database>,
  vault: Vault,
  accountId: string,
  filter: SealedHistoryFilter,
  pageSize = 500,
): AsyncGenerator<CallRecord> {
  let before: HistoryCursor | undefined;
  do {
    const page = await callHistory(db, vault, accountId, { limit: pageSize, ...(before === undefined ? {} : { before }) }, filter);
    yield* page.calls;
    before = page.next ?? undefined;
  } while (before !== undefined);
}
