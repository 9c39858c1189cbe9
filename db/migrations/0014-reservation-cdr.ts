import { sql, type Kysely } from 'kysely';

// The call record a reservation pays for, so a stale one is settled from it. No foreign key: cdrs
// (0020+) are created after this migration, and a reservation may be taken before its CDR row exists.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('reservations').addColumn('cdr_id', 'uuid').execute();
  await db.schema.createIndex('reservations_cdr_idx').on('reservations').column('cdr_id').where(sql.ref('cdr_id'), 'is not', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('reservations_cdr_idx').execute();
  await db.schema.alterTable('reservations').dropColumn('cdr_id').execute();
}
