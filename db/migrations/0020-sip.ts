import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Static SIP credentials for desk phones: HA1 digests only (RFC 7616 §3.4.2), never the password.
  await db.schema
    .createTable('sip_credentials')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('realm', 'text', (col) => col.notNull())
    .addColumn('ha1_md5', 'text', (col) => col.notNull())
    .addColumn('ha1_sha256', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('sip_credentials_username_realm_key', ['username', 'realm'])
    .execute();

  // The location service (RFC 3261 §10.3): one row per bound contact.
  await db.schema
    .createTable('registrations')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('contact', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('transport', 'text', (col) => col.notNull().check(sql`transport in ('udp', 'tcp', 'tls', 'ws', 'wss')`))
    .addColumn('source_address', 'text', (col) => col.notNull())
    .addColumn('source_port', 'integer', (col) => col.notNull())
    .addColumn('drachtio_server', 'text', (col) => col.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('call_id', 'text', (col) => col.notNull())
    .addColumn('cseq', 'bigint', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('registrations_account_contact_key', ['account_id', 'contact'])
    .execute();
  await db.schema.createIndex('registrations_expires_idx').on('registrations').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('registrations').execute();
  await db.schema.dropTable('sip_credentials').execute();
}
