import { type Kysely } from 'kysely';

// An operator's hang-up of a live call (core/calls/hang-up-request.ts): the api role records the request on the call's
// record, and the signaling node holding the call (cdrs.node_id) finds it on its next poll and ends the call from
// its side. The api and signaling roles may be different processes on different machines: the database is what they
// share. The node's poll reads its open records through 0021's partial index (node_id where ended_at is null).
// The audit log (core/audit-log.ts) is read newest first in keyset pages, over all events or one account's (as
// subject or as actor): each read walks an index in that order instead of sorting the table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').addColumn('hangup_requested_at', 'timestamptz').execute();
  await db.schema.createIndex('audit_events_occurred_idx').on('audit_events').columns(['occurred_at', 'id']).execute();
  await db.schema.createIndex('audit_events_actor_idx').on('audit_events').columns(['actor_account_id', 'occurred_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_actor_idx').execute();
  await db.schema.dropIndex('audit_events_occurred_idx').execute();
  await db.schema.alterTable('cdrs').dropColumn('hangup_requested_at').execute();
}
