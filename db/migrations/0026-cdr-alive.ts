import type { Kysely } from 'kysely';

// When the signaling process last saw an answered call still up (a heartbeat): a call left open by a crash is
// billed to this moment, the last one known, never to the restart (which may come much later).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').addColumn('alive_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('alive_at').execute();
}
