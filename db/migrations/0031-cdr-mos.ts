import type { Kysely } from 'kysely';

// How the call sounded, as the media server measured it at the end (mean opinion score, 1-5, the worse of the two
// directions); null when the media went directly or was not measured.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').addColumn('mos', 'real').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('mos').execute();
}
