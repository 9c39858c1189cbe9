import type { Kysely } from 'kysely';

// A device's instance id (RFC 5626 §4.1 `+sip.instance`): a browser tab that reconnects registers a new contact (a new
// WebSocket), and the binding of its dead connection must go at once, not ring for the rest of its expiry.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('registrations').addColumn('instance_id', 'text').execute();
  await db.schema.createIndex('registrations_instance_idx').on('registrations').columns(['account_id', 'instance_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('registrations_instance_idx').execute();
  await db.schema.alterTable('registrations').dropColumn('instance_id').execute();
}
