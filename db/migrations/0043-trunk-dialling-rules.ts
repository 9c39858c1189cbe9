import { sql, type Kysely } from 'kysely';

// How a trunk's carrier wants numbers and caller ID written (core/calls/dial-string.ts), and the codecs it prefers.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('trunks')
    /** The Request-URI and To user: `+14155550100`, `14155550100`, or the national digits `4155550100`. */
    .addColumn('number_format', 'text', (col) =>
      col
        .notNull()
        .defaultTo('e164')
        .check(sql`number_format in ('e164', 'e164-no-plus', 'national')`),
    )
    /** Digits some carriers put before the number to pick a route or an account. */
    .addColumn('tech_prefix', 'text', (col) => col.check(sql`tech_prefix ~ '^[0-9]{1,10}$'`))
    /** `pai`: the caller's number also in P-Asserted-Identity (RFC 3325). */
    .addColumn('caller_id_header', 'text', (col) =>
      col
        .notNull()
        .defaultTo('from')
        .check(sql`caller_id_header in ('from', 'pai')`),
    )
    /** Callees do not see the caller's number: From anonymous, `Privacy: id`, the number in PAI only (RFC 3323, 3325). */
    .addColumn('caller_id_withheld', 'boolean', (col) => col.notNull().defaultTo(false))
    /** Codec names first in the offer, in this order (the others follow as they were); null: as offered. */
    .addColumn('codec_order', sql`text[]`)
    .execute();
  await sql`alter table trunks add constraint trunks_withheld_needs_pai check (not caller_id_withheld or caller_id_header = 'pai')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table trunks drop constraint trunks_withheld_needs_pai`.execute(db);
  for (const column of ['codec_order', 'caller_id_withheld', 'caller_id_header', 'tech_prefix', 'number_format']) {
    await db.schema.alterTable('trunks').dropColumn(column).execute();
  }
}
