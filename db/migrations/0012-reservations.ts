import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reservations')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('restrict'))
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('active')
        .check(sql`status in ('active', 'settled', 'released', 'expired')`),
    )
    // The rate as it was when the call started: a later rate change does not re-price a call in progress.
    .addColumn('rate_id', 'bigint', (col) => col.references('rates.id').onDelete('set null'))
    .addColumn('price_per_minute', 'bigint', (col) => col.notNull())
    .addColumn('first_increment', 'integer', (col) => col.notNull())
    .addColumn('next_increment', 'integer', (col) => col.notNull())
    .addColumn('connection_fee', 'bigint', (col) => col.notNull())
    .addColumn('max_seconds', 'integer', (col) => col.notNull().check(sql`max_seconds > 0`))
    .addColumn('hold', 'bigint', (col) => col.notNull().check(sql`hold >= 0`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('closed_at', 'timestamptz')
    .addColumn('billable_seconds', 'integer')
    .addColumn('charged', 'bigint', (col) => col.check(sql`charged <= hold`))
    .execute();
  await db.schema.createIndex('reservations_active_idx').on('reservations').columns(['account_id']).where(sql.ref('status'), '=', 'active').execute();
  await db.schema.createIndex('reservations_expiry_idx').on('reservations').columns(['expires_at']).where(sql.ref('status'), '=', 'active').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reservations').execute();
}
