import { type Kysely } from 'kysely';

// A call transferred by one of its users (REFER, RFC 3515: signaling/call/transfer.ts): the original call's records end
// at the transfer with cause `transferred`, and the leg placed to the transfer's target has records of its own, each
// naming the record of the user who transferred (the one paying for the new leg) in `transferred_from`. A record
// deleted by retention leaves the later one standing, unlinked.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cdrs')
    .addColumn('transferred_from', 'uuid', (col) => col.references('cdrs.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('transferred_from').execute();
}
