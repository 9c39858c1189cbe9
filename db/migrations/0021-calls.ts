import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Carriers: where outbound calls go (by priority) and where inbound calls may come from.
  await db.schema
    .createTable('trunks')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('priority', 'integer', (col) => col.notNull().defaultTo(100))
    /** e.g. sip:carrier.example.net:5060;transport=udp — the outbound INVITE's next hop. */
    .addColumn('outbound_uri', 'text')
    .addColumn('auth_username', 'text')
    .addColumn('auth_password', 'text')
    /** Addresses (CIDR) inbound INVITEs may come from. */
    .addColumn('inbound_sources', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // Phone numbers (E.164, digits with +) that ring an account's registered devices.
  await db.schema
    .createTable('dids')
    .addColumn('e164', 'text', (col) => col.primaryKey().check(sql`e164 ~ '^\\+[1-9][0-9]{6,14}$'`))
    .addColumn('account_id', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('dids_account_idx').on('dids').column('account_id').execute();

  // Call detail records: one row per call attempt, written at INVITE and updated on answer and end.
  await db.schema
    .createTable('cdrs')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sip_call_id', 'text', (col) => col.notNull())
    .addColumn('direction', 'text', (col) => col.notNull().check(sql`direction in ('outbound', 'inbound', 'onnet')`))
    .addColumn('account_id', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('from_number', 'text')
    .addColumn('to_number', 'text')
    .addColumn('trunk_id', 'bigint', (col) => col.references('trunks.id').onDelete('set null'))
    .addColumn('phase', 'text', (col) => col.notNull())
    .addColumn('refusal_reason', 'text')
    .addColumn('sip_status', 'integer')
    .addColumn('hangup_cause', 'text')
    .addColumn('ended_by', 'text', (col) => col.check(sql`ended_by in ('caller', 'callee', 'system')`))
    .addColumn('started_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('answered_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('billable_seconds', 'integer')
    .addColumn('cost', 'bigint')
    /** Which signaling process handles the call: a restart closes its own orphans. */
    .addColumn('node_id', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('cdrs_account_started_idx').on('cdrs').columns(['account_id', 'started_at']).execute();
  await db.schema.createIndex('cdrs_open_idx').on('cdrs').columns(['node_id']).where(sql.ref('ended_at'), 'is', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cdrs').execute();
  await db.schema.dropTable('dids').execute();
  await db.schema.dropTable('trunks').execute();
}
