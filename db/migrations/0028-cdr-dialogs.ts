import type { Kysely } from 'kysely';

// drachtio-server's ids of an answered call's two dialogs. drachtio keeps a dialog when the app that made it dies,
// so a restarted process can still send BYE on both legs of a call its predecessor left up.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').addColumn('caller_dialog', 'text').addColumn('callee_dialog', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('caller_dialog').dropColumn('callee_dialog').execute();
}
