import type { Kysely } from 'kysely';

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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('signaling_nodes').execute();
}
