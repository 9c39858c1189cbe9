import { sql, type Kysely } from 'kysely';

// Registration trunks (issue 19): a trunk may register with its carrier's registrar (RFC 3261 §10.2), which then sends
// the trunk's calls to the contact we registered. Carrier settings only: no one's data. One node at a time registers
// each trunk: it holds the trunk's row in trunk_registration_leases (core/calls/trunk-lease.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('trunks')
    /** `sip:registrar.carrier.example[:port][;transport=udp|tcp|tls]`; null: the trunk does not register. */
    .addColumn('register_uri', 'text')
    /** The address-of-record's user and the digest username (RFC 3261 §22). */
    .addColumn('register_username', 'text')
    /** Write-only in the API, as auth_password. */
    .addColumn('register_password', 'text')
    /** The Expires we ask for; the registrar may grant less (RFC 3261 §10.2.4). */
    .addColumn('register_expires', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(3600)
        .check(sql`register_expires between 60 and 86400`),
    )
    /** Where an inbound INVITE on the registration carries the DID: the Request-URI user or the To user. */
    .addColumn('register_did_source', 'text', (col) =>
      col
        .notNull()
        .defaultTo('to')
        .check(sql`register_did_source in ('request-uri', 'to')`),
    )
    .execute();
  await sql`alter table trunks add constraint trunks_register_needs_username check (register_uri is null or register_username is not null)`.execute(db);
  await db.schema
    .createTable('trunk_registration_leases')
    .addColumn('trunk_id', 'integer', (col) => col.primaryKey().references('trunks.id').onDelete('cascade'))
    .addColumn('node_id', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('trunk_registration_leases').execute();
  await sql`alter table trunks drop constraint trunks_register_needs_username`.execute(db);
  for (const column of ['register_did_source', 'register_expires', 'register_password', 'register_username', 'register_uri']) {
    await db.schema.alterTable('trunks').dropColumn(column).execute();
  }
}
