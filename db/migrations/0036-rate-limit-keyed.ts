import { sql, type Kysely } from 'kysely';

// Counter keys become HMACs under the privacy key (core/accounts/throttle.ts): the old ones held a bare SHA-256 of
// the address, which anyone can test a guess against. They are dropped rather than left to run out (at most an hour
// of counts is lost).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from rate_limit_counters`.execute(db);
}

// The dropped counts cannot come back; the table is as it was.
export async function down(): Promise<void> {
  return Promise.resolve();
}
