import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('top_ups')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('restrict'))
    // The client's idempotency key: a retried "start top-up" returns the same payment.
    .addColumn('request_key', 'text', (col) => col.notNull())
    // In the currency's minor unit, as Stripe counts it.
    .addColumn('amount_minor', 'bigint', (col) => col.notNull().check(sql`amount_minor > 0`))
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('payment_intent_id', 'text', (col) => col.unique())
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'succeeded')`),
    )
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('succeeded_at', 'timestamptz')
    .addUniqueConstraint('top_ups_request_key', ['account_id', 'request_key'])
    .execute();

  // One row per Stripe event id, written in the same transaction as its effect: processed exactly once.
  await db.schema
    .createTable('stripe_events')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('processed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // Holds on an account's records (an open card dispute): retention and erasure must wait while one is open.
  await db.schema
    .createTable('account_holds')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('restrict'))
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('dispute')`))
    .addColumn('reference', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('released_at', 'timestamptz')
    .addUniqueConstraint('account_holds_reference_key', ['kind', 'reference'])
    .execute();
  await db.schema.createIndex('account_holds_account_idx').on('account_holds').columns(['account_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('account_holds').execute();
  await db.schema.dropTable('stripe_events').execute();
  await db.schema.dropTable('top_ups').execute();
}
