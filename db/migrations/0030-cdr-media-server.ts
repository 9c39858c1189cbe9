import type { Kysely } from 'kysely';

// Which media server carried an answered call's audio (browser <-> carrier calls through FreeSWITCH); null when the
// two ends exchanged media directly. Operators trace bad audio, and a media server's failures, to it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').addColumn('media_server', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('media_server').execute();
}
