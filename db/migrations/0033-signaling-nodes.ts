import { sql, type Kysely } from 'kysely';

// Each signaling process's last sign of life, written every heartbeat even when it carries no call: another node or
// the jobs role closes the calls of a node silent for longer than CALL_NODE_DEAD_SECONDS. Node names only: no one's data.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signaling_nodes')
    .addColumn('node_id', 'text', (column) => column.primaryKey())
    .addColumn('alive_at', 'timestamptz', (column) => column.notNull())
    // Which process wrote it: two live processes under one node name show up as each other's writes.
    .addColumn('instance', 'text', (column) => column.notNull())
    .execute();
  // Every heartbeat of every node looks for the calls it (or a silent node) still has open or owes a BYE: the few
  // such rows by node, not a scan of every call ever made.
  await db.schema
    .createIndex('cdrs_open_by_node_idx')
    .on('cdrs')
    .column('node_id')
    .where(sql<boolean>`ended_at is null or caller_dialog is not null or callee_dialog is not null`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('cdrs_open_by_node_idx').execute();
  await db.schema.dropTable('signaling_nodes').execute();
}
