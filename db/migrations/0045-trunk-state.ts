import { sql, type Kysely } from 'kysely';

// Trunk state shared by every process (issue 19): the signaling node that knows it writes it, on each change, so an
// api-only process shows it and every signaling node routes around a registration that failed on the lease holder
// (core/calls/trunk-state.ts). Carrier state and node names only: no one's data.
export async function up(db: Kysely<unknown>): Promise<void> {
  // The registration as its lease holder sees it; believed only while that node still holds the trunk's lease.
  // Not `registering`: that lasts one REGISTER transaction, and is not written.
  await db.schema
    .createTable('trunk_registration_states')
    .addColumn('trunk_id', 'integer', (col) => col.primaryKey().references('trunks.id').onDelete('cascade'))
    .addColumn('node_id', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('unregistered', 'registered', 'failed')`))
    .addColumn('since', 'timestamptz', (col) => col.notNull())
    .addColumn('last_status', 'integer')
    /** Why the last REGISTER failed: refused (a final non-2xx), timeout, error; null unless failed. */
    .addColumn('last_reason', 'text')
    .addColumn('registered_until', 'timestamptz')
    .addColumn('retry_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull())
    .execute();
  // OPTIONS-ping health per (trunk, node): each node pings over its own path and decides for itself.
  await db.schema
    .createTable('trunk_health')
    .addColumn('trunk_id', 'integer', (col) => col.notNull().references('trunks.id').onDelete('cascade'))
    .addColumn('node_id', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('unknown', 'up', 'down')`))
    .addColumn('since', 'timestamptz', (col) => col.notNull())
    .addColumn('consecutive_failures', 'integer', (col) => col.notNull())
    .addColumn('last_status', 'integer')
    .addColumn('last_result', 'text')
    .addColumn('last_ping_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull())
    /** Past this the row is stale (its node stopped writing): set by the writer from its own ping interval. */
    .addColumn('fresh_until', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('trunk_health_pk', ['trunk_id', 'node_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('trunk_health').execute();
  await db.schema.dropTable('trunk_registration_states').execute();
}
