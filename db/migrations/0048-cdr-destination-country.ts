import { sql, type Kysely } from 'kysely';

// The country (ISO 3166 alpha-2) of the number a call went to, worked out from the number when the record is opened
// (core/calls/cdr.ts). The numbers themselves are sealed under each account's key, so the database cannot group
// calls by country without it: the usage summary (core/calls/usage.ts) sums minutes and spend per country with
// this column, over the (account_id, started_at) index that 0021 made. Null: not a number of any one country (the
// echo test, +800), and every record opened before this migration, whose numbers the database cannot read.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cdrs')
    .addColumn('destination_country', 'text', (column) => column.check(sql`destination_country ~ '^[A-Z]{2}$'`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropColumn('destination_country').execute();
}
