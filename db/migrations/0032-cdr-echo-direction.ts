import { sql, type Kysely } from 'kysely';

// The echo test (a device hearing its own audio back from the media server, ECHO_TEST_NUMBER) gets its own direction:
// it reaches no one, is never billed, and history and exports show it apart from calls to numbers. Its to_number is
// the short code as dialled (`*43`).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cdrs').dropConstraint('cdrs_direction_check').execute();
  await db.schema
    .alterTable('cdrs')
    .addCheckConstraint('cdrs_direction_check', sql`direction in ('outbound', 'inbound', 'onnet', 'echo')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db
    .deleteFrom('cdrs' as never)
    .where(sql.ref('direction'), '=', 'echo')
    .execute();
  await db.schema.alterTable('cdrs').dropConstraint('cdrs_direction_check').execute();
  await db.schema
    .alterTable('cdrs')
    .addCheckConstraint('cdrs_direction_check', sql`direction in ('outbound', 'inbound', 'onnet')`)
    .execute();
}
