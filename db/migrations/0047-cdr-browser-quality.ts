import { sql, type Kysely } from 'kysely';

// How the call sounded to the user's own browser, as it reported at the call's end (POST /calls/:id/quality): its
// E-model MOS estimate in hundredths (integers, as money is: 4.31 is 431), mean round-trip time and jitter in
// milliseconds, and received packets lost in thousandths. Null: no browser reported (a desk phone, a closed tab).
// Each party's record holds its own browser's figures; `mos` (0031) stays the media server's.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cdrs')
    .addColumn('browser_mos', 'smallint', (column) => column.check(sql`browser_mos between 100 and 500`))
    .addColumn('browser_rtt_ms', 'integer', (column) => column.check(sql`browser_rtt_ms >= 0`))
    .addColumn('browser_jitter_ms', 'integer', (column) => column.check(sql`browser_jitter_ms >= 0`))
    .addColumn('browser_loss_permille', 'smallint', (column) => column.check(sql`browser_loss_permille between 0 and 1000`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cdrs')
    .dropColumn('browser_mos')
    .dropColumn('browser_rtt_ms')
    .dropColumn('browser_jitter_ms')
    .dropColumn('browser_loss_permille')
    .execute();
}
