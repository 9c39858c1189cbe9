import { sql, type Kysely } from 'kysely';

// The operator dashboard sums money in and out per day over a time range of the whole ledger
// (core/operations/money-flow.ts); the ledger's only index was by account, so each read walked every entry ever
// written. Keyed by time and carrying kind and amount, the sum is read from this index alone (the ledger is
// append-only, so its pages stay all-visible). The call aggregates need none of their own: 0025's started_at index
// bounds them (measured in bench/dashboard.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index ledger_entries_created_idx on ledger_entries (created_at, kind) include (amount)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('ledger_entries_created_idx').execute();
}
