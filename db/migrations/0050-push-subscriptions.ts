import { sql, type Kysely } from 'kysely';

// Web Push subscriptions (issue 16, RFC 8030/8291): one per browser on a device whose user consented to be woken for
// calls. The endpoint, the browser's keys and the device label are sealed under the account's key
// (core/privacy/sealed-columns.ts); the endpoint deterministically, so one browser subscribing again finds its row.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('push_subscriptions')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('endpoint', 'text', (col) => col.notNull())
    /** The browser's P-256 public key and auth secret (RFC 8291 §3), base64url, sealed. */
    .addColumn('p256dh', 'text', (col) => col.notNull())
    .addColumn('auth', 'text', (col) => col.notNull())
    /** What the user calls the device ("Chrome on Android"), shown in the list; sealed; null when none was given. */
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    /** When a push service last accepted a push for it (201). */
    .addColumn('last_success_at', 'timestamptz')
    .addUniqueConstraint('push_subscriptions_account_endpoint', ['account_id', 'endpoint'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('push_subscriptions').execute();
}
