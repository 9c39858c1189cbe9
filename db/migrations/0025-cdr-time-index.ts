import type { Kysely } from 'kysely';

// Operator exports walk every call record by (start time, id) in keyset batches, and retention sweeps by start
// time: without this index each batch sorts the whole table (measured: bench/cdr-export.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('cdrs_started_idx').on('cdrs').columns(['started_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('cdrs_started_idx').execute();
}
