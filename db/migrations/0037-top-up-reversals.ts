import { sql, type Kysely } from 'kysely';

/**
 * What the provider has told us about each refund and dispute of a top-up's payment, whatever order its events came
 * in. The ledger entries are derived from these rows once the payment itself has been credited
 * (core/billing/payment-events.ts), so news that arrives before the payment waits here instead of moving credit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('top_up_reversals')
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('refund', 'dispute')`))
    // The provider's refund or dispute id.
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('top_up_id', 'uuid', (col) => col.notNull().references('top_ups.id').onDelete('restrict'))
    // In the top-up's currency's minor unit, as the provider counts it.
    .addColumn('amount_minor', 'bigint', (col) => col.notNull().check(sql`amount_minor > 0`))
    .addColumn('reason', 'text')
    // The operator's idempotency key when the refund was asked for through us: a retry is answered, not re-checked.
    .addColumn('request_key', 'text')
    // Set once the money came back after all (refund failed or canceled, dispute won) and never cleared.
    .addColumn('returned', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('top_up_reversals_pkey', ['kind', 'id'])
    .execute();
  await db.schema.createIndex('top_up_reversals_top_up_idx').on('top_up_reversals').columns(['top_up_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('top_up_reversals').execute();
}
