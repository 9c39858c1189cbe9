import { sql, type Kysely } from 'kysely';

// The operator dashboard sums money in and out per day over a time range of the whole ledger
// (core/operations/money-flow.ts); the ledger's only index was by account, so each read walked every entry ever
// written. Keyed by time and carrying kind and amount, the sum is read from this index alone (the ledger is
// append-only, so its pages stay all-visible). The call aggregates need no index of their own: 0025's started_at
// index bounds them. What they need is statistics of the buckets they group by: without them the planner takes each
// distinct start time for a bucket of its own, expects a hash table too big for work_mem, and sorts the whole range
// (on disk, over a month of a busy year: bench/dashboard.ts). ANALYZE fills them in, as it does the columns'.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index ledger_entries_created_idx on ledger_entries (created_at, kind) include (amount)`.execute(db);
  await sql`create statistics cdrs_hour_stats on (date_trunc('hour', started_at at time zone 'UTC')) from cdrs`.execute(db);
  await sql`create statistics cdrs_day_stats on (date_trunc('day', started_at at time zone 'UTC')) from cdrs`.execute(db);
  await sql`create statistics ledger_entries_day_stats on (date_trunc('day', created_at at time zone 'UTC')) from ledger_entries`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['ledger_entries_day_stats', 'cdrs_day_stats', 'cdrs_hour_stats']) await sql`drop statistics ${sql.id(name)}`.execute(db);
  await db.schema.dropIndex('ledger_entries_created_idx').execute();
}
