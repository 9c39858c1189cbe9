import { sql, type Kysely } from 'kysely';

// What every call's route reads and operators change rarely (trunks, hosted numbers, rates, blocked prefixes) is
// cached per signaling node under the `routing` topic (core/calls/directory.ts): any change bumps its counter.
const TABLES = ['trunks', 'dids', 'rates', 'blocked_prefixes'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`insert into cache_versions (topic) values ('routing')`.execute(db);
  for (const table of TABLES) {
    await sql`create trigger ${sql.raw(`${table}_bump_routing`)} after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function bump_cache_version('routing')`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) await sql`drop trigger ${sql.raw(`${table}_bump_routing`)} on ${sql.table(table)}`.execute(db);
  await sql`delete from cache_versions where topic = 'routing'`.execute(db);
}
