import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<unknown>: they must not depend on today's schema types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rates')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    // E.164 digits without "+": "44", "4420", "1415".
    .addColumn('prefix', 'text', (col) => col.notNull().check(sql`prefix ~ '^[0-9]{1,15}$'`))
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    // Micro-units (1/1,000,000 of the currency unit) per minute; see core/money.ts.
    .addColumn('price_per_minute', 'bigint', (col) => col.notNull().check(sql`price_per_minute >= 0`))
    .addColumn('first_increment', 'integer', (col) => col.notNull().check(sql`first_increment between 1 and 3600`))
    .addColumn('next_increment', 'integer', (col) => col.notNull().check(sql`next_increment between 1 and 3600`))
    .addColumn('connection_fee', 'bigint', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`connection_fee >= 0`),
    )
    .addColumn('effective_from', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('rates_prefix_effective_key', ['prefix', 'effective_from'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rates').execute();
}
