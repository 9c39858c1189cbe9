import { sql, type Kysely } from 'kysely';

// Crypto-shredding (core/privacy/vault.ts): each account's data key, wrapped by the master key from config, in a
// schema of its own so operators back it up apart from the data (`pg_dump --exclude-schema=key_store` for the data,
// `--schema=key_store` for the keys, on a shorter schedule). No foreign key to accounts: the data's backups and
// restores must not need the keys, and a key outlives nothing but its account's erasure.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createSchema('key_store').execute();
  await db.schema
    .withSchema('key_store')
    .createTable('account_keys')
    .addColumn('account_id', 'uuid', (column) => column.primaryKey())
    // IV, the 32-byte key encrypted with AES-256-GCM under the master key, and the tag.
    .addColumn('wrapped_key', 'bytea', (column) => column.notNull())
    // Which master key wrapped it: a process given another one refuses to start instead of failing each read.
    .addColumn('master_key_id', 'text', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  // A destroyed key leaves every node's key cache within a poll (core/versioned-cache.ts).
  await sql`insert into cache_versions (topic) values ('account-keys')`.execute(db);
  // Per row: a delete that finds nothing (a sign-up with a taken address drops the key it never made) bumps nothing.
  await sql`create trigger account_keys_bump after delete on key_store.account_keys
    for each row execute function bump_cache_version('account-keys')`.execute(db);
  await sql`create trigger account_keys_truncate_bump after truncate on key_store.account_keys
    for each statement execute function bump_cache_version('account-keys')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from cache_versions where topic = 'account-keys'`.execute(db);
  await db.schema.dropSchema('key_store').cascade().execute();
}
