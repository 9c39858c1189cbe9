import { sql, type Kysely } from 'kysely';

/**
 * A dispute that is only an inquiry (Stripe's `warning_*` statuses) takes no money, so a reversal row now says
 * whether its amount has left us. Rows so far were all taken (their entries are in the ledger), hence the default.
 * Once taken it stays taken, and nothing comes back that was not taken.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('top_up_reversals')
    .addColumn('withdrawn', 'boolean', (col) => col.notNull().defaultTo(true))
    .execute();
  await sql`alter table top_up_reversals add constraint top_up_reversals_returned_withdrawn check (returned is null or withdrawn)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('top_up_reversals').dropColumn('withdrawn').execute();
}
