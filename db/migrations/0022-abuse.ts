import { sql, type Kysely } from 'kysely';

// Toll-fraud rules: per-account call limits over the operator's defaults, outbound suspension, and
// destination prefixes the operator blocks (premium rate, known fraud ranges).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account_call_limits')
    .addColumn('account_id', 'uuid', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    // Each limit: null = the operator's default (config); 0 turns calls-per-minute and the spend cap off.
    .addColumn('max_concurrent_calls', 'integer', (col) => col.check(sql`max_concurrent_calls >= 1`))
    .addColumn('calls_per_minute', 'integer', (col) => col.check(sql`calls_per_minute >= 0`))
    .addColumn('daily_spend_cap', 'bigint', (col) => col.check(sql`daily_spend_cap >= 0`))
    /** ISO 3166 alpha-2 codes; '{*}' = anywhere. */
    .addColumn('allowed_countries', sql`text[]`)
    .addColumn('suspended_at', 'timestamptz')
    .addColumn('suspension_reason', 'text')
    /** Null with suspended_at set: suspended by pattern detection. */
    .addColumn('suspended_by', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('lifted_at', 'timestamptz')
    .addColumn('lifted_by', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('account_call_limits_suspension_reason', sql`(suspended_at is null) = (suspension_reason is null)`)
    .execute();

  await db.schema
    .createTable('blocked_prefixes')
    .addColumn('prefix', 'text', (col) => col.primaryKey().check(sql`prefix ~ '^[1-9][0-9]{0,14}$'`))
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // Spend windows (daily cap, spike detection) read an account's recently closed holds.
  await db.schema
    .createIndex('reservations_closed_idx')
    .on('reservations')
    .columns(['account_id', 'closed_at'])
    .where(sql.ref('closed_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('reservations_closed_idx').execute();
  await db.schema.dropTable('blocked_prefixes').execute();
  await db.schema.dropTable('account_call_limits').execute();
}
