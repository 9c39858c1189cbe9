import type { Kysely } from 'kysely';

// A call's credit hold, so that a restart can settle what an orphaned call used.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cdrs')
    .addColumn('reservation_id', 'uuid', (col) => col.references('reservations.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('reservation_id').execute();
}
