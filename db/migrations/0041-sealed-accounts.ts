import { sql, type Kysely } from 'kysely';

/**
 * Addresses, names and account mail are stored sealed under the account's key (core/privacy/vault.ts), so the
 * database can no longer compare lower(email): lookups and uniqueness go through `email_hash`, the vault's keyed
 * hash of the lower-cased address. A migration cannot reach the master key: rows written before this are sealed,
 * and their hashes filled, by `sealLegacyAccounts` (core/accounts/legacy-sealing.ts) when the app starts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('email_hash', 'text').execute();
  // Null once erased, and until the boot fills the hash of an address written before sealing.
  await sql`create unique index accounts_email_hash_key on accounts (email_hash) where email_hash is not null`.execute(db);
  await db.schema.dropIndex('accounts_email_lower_key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('accounts_email_lower_key')
    .on('accounts')
    .unique()
    .expression(sql`lower(email)`)
    .execute();
  await db.schema.dropIndex('accounts_email_hash_key').execute();
  await db.schema.alterTable('accounts').dropColumn('email_hash').execute();
}
