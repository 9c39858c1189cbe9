import { sql, type Kysely } from 'kysely';

// A counter per cached topic, bumped in the same transaction as any change to the rows the cache holds: every node
// reads the counters about once a second and drops a topic's cache when its counter moved (core/cache-versions.ts).
// Statement-level triggers, so a bulk change bumps once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cache_versions')
    .addColumn('topic', 'text', (column) => column.primaryKey())
    .addColumn('version', 'bigint', (column) => column.notNull().defaultTo(0))
    .execute();
  await sql`insert into cache_versions (topic) values ('sip-credentials')`.execute(db);
  // The topic is the trigger's argument: one function for every cached topic.
  await sql`
    create function bump_cache_version() returns trigger language plpgsql as $$
    begin
      update cache_versions set version = version + 1 where topic = TG_ARGV[0];
      return null;
    end $$`.execute(db);
  // Who may authenticate: an account's status (suspended, closed) or its removal, and any static credential.
  await sql`create trigger accounts_status_bumps_sip_credentials after update of status or delete on accounts
    for each statement execute function bump_cache_version('sip-credentials')`.execute(db);
  await sql`create trigger sip_credentials_bump after insert or update or delete or truncate on sip_credentials
    for each statement execute function bump_cache_version('sip-credentials')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger sip_credentials_bump on sip_credentials`.execute(db);
  await sql`drop trigger accounts_status_bumps_sip_credentials on accounts`.execute(db);
  await sql`drop function bump_cache_version()`.execute(db);
  await db.schema.dropTable('cache_versions').execute();
}
