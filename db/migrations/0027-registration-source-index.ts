import type { Kysely } from 'kysely';

// Every INVITE not from a trunk asks whether a live registration came from its source address and port (only
// registered devices get a challenge): an index, not a scan of the location store, per call.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('registrations_source_idx').on('registrations').columns(['source_address', 'source_port']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('registrations_source_idx').execute();
}
