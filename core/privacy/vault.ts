/**
 * Crypto-shredding: personal data (e-mail, names, numbers, operator notes about a person) is stored sealed under
 * a key of its account's own (envelope encryption), and erasure destroys that key. The account keys live in the
 * `key_store` schema, apart from the data and backed up on their own schedule, each one wrapped by the master key
 * from config (PRIVACY_MASTER_KEY), which never reaches the database. A backup of the data taken before an
 * erasure, restored beside the key store as it is now, shows nothing readable of the erased account.
 *
 * A sealed value is text: `v1.<account id>.<base64url of IV, ciphertext and GCM tag>`, so it fits the columns
 * that held the plain value, and a stream (the CDR export) can open it without knowing its column.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { VersionedCache, pollCaches } from '../versioned-cache.ts';

const PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** `v1.` + a UUID + `.` + base64url: what {@link SEALED_PATTERN} finds in a stream. */
export const SEALED_PATTERN = /v1\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9_-]+/g;
const WHOLE_SEALED = new RegExp(`^${SEALED_PATTERN.source}$`);
export const KEYS_TOPIC = 'account-keys';
/** SQLSTATE undefined_table. */
const MISSING_RELATION = '42P01';

export class VaultError extends Error {
  override name = 'VaultError';
}

export interface SealOptions {
  /**
   * The same text gives the same sealed value under one account's key (the IV is derived from it), so the
   * database can still count distinct values or compare them within an account, e.g. the numbers an account
   * called (core/abuse/). It shows only which of the account's values are equal.
   */
  readonly deterministic?: boolean;
}

/**
 * @example
 * const vault = createVault(config.privacy.masterKey);
 * const sealed = await vault.seal(trx, accountId, 'ada@example.org'); // 'v1.6f1c….Qk3…'
 * await vault.open(db, sealed); // 'ada@example.org', or null once the account's key is destroyed
 */
export interface Vault {
  /** Seals `text` under the account's key, creating the key (in `db`'s transaction) on first use. */
  seal(db: Kysely<Database>, accountId: string, text: string, options?: SealOptions): Promise<string>;
  /** Like {@link seal}; null stays null. */
  sealNullable(db: Kysely<Database>, accountId: string, text: string | null, options?: SealOptions): Promise<string | null>;
  /** {@link sealNullable} for many values of one account, reading its key once (a transaction reads it uncached). */
  sealAll(db: Kysely<Database>, accountId: string, texts: readonly (string | null)[], options?: SealOptions): Promise<(string | null)[]>;
  /**
   * The plain text of a sealed value; null when its account's key is destroyed. A value that is not sealed (written
   * before sealing, or a de-identified hash) comes back as it is.
   */
  open(db: Kysely<Database>, value: string | null): Promise<string | null>;
  /** {@link open} for many values, reading each account's key once. */
  openAll(db: Kysely<Database>, values: readonly (string | null)[]): Promise<(string | null)[]>;
  /**
   * A keyed hash for looking a value up (an e-mail address at login): equal inputs give equal hashes, and nobody
   * without the master key can test a guess.
   */
  lookupHash(value: string): string;
  /** Destroys the account's key: everything sealed under it is unreadable from then on, in every copy. */
  shred(db: Kysely<Database>, accountId: string): Promise<boolean>;
  /** Whether the key store was written with this master key; throws a {@link VaultError} saying so if not. */
  check(db: Kysely<Database>): Promise<void>;
  /** Reads the key store's change counter: a key destroyed on another node leaves this node's cache (topic {@link KEYS_TOPIC}). */
  poll(db: Kysely<Database>, now: number): Promise<void>;
}

/** Whether `value` is a sealed value (rather than plain text written before sealing, or a de-identified hash). */
export function isSealed(value: string | null): value is string {
  // The whole shape, not the prefix: a plain value written before sealing may itself begin with `v1.`.
  return value !== null && value.startsWith(PREFIX) && WHOLE_SEALED.test(value);
}

function derive(masterKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'dialo', purpose, KEY_BYTES));
}

function aad(accountId: string): Buffer {
  return Buffer.from(`dialo account ${accountId}`);
}

function encrypt(key: Buffer, iv: Buffer, plain: Buffer, associated: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associated);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function decrypt(key: Buffer, sealed: Buffer, associated: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(associated);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

function accountOf(value: string): string {
  const dot = value.indexOf('.', PREFIX.length);
  if (dot < 0) throw new VaultError('a sealed value without its account id');
  return value.slice(PREFIX.length, dot);
}

function parse(value: string): { accountId: string; body: Buffer } {
  const accountId = accountOf(value);
  return { accountId, body: Buffer.from(value.slice(PREFIX.length + accountId.length + 1), 'base64url') };
}

/** The master key this process was given (PRIVACY_MASTER_KEY, or single-machine mode's generated one): at least 32 characters. */
export function createVault(masterKey: string, options: { readonly pollMs?: number; readonly maxKeys?: number } = {}): Vault {
  if (masterKey.length < 32) throw new VaultError('the master key must be at least 32 characters');
  const wrapKey = derive(masterKey, 'account-key-wrap');
  const lookupKey = derive(masterKey, 'lookup-hash');
  // Stored beside each wrapped key: a wrong master key is then one clear error at boot, not a failed tag per read.
  const masterKeyId = createHmac('sha256', wrapKey).update('key id').digest('hex').slice(0, 16);
  const cache = new VersionedCache<string, Buffer | null>({ topic: KEYS_TOPIC, pollMs: options.pollMs ?? 1000, maxEntries: options.maxKeys ?? 100_000 });

  const unwrap = (accountId: string, row: { wrapped_key: Buffer; master_key_id: string }): Buffer => {
    if (row.master_key_id !== masterKeyId) throw new VaultError('the key store was written with another PRIVACY_MASTER_KEY');
    return decrypt(wrapKey, row.wrapped_key, aad(accountId));
  };

  const loadKeys = async (db: Kysely<Database>, accountIds: readonly string[]): Promise<Map<string, Buffer>> => {
    const rows = await db
      .selectFrom('key_store.account_keys')
      .select(['account_id', 'wrapped_key', 'master_key_id'])
      .where('account_id', 'in', accountIds)
      .execute();
    return new Map(rows.map((row) => [row.account_id, unwrap(row.account_id, row)]));
  };

  /** The account's key or null; cached only outside a transaction, which may still roll back or not see a commit. */
  const keyOf = async (db: Kysely<Database>, accountId: string): Promise<Buffer | null> => {
    const load = async () => (await loadKeys(db, [accountId])).get(accountId) ?? null;
    if (db.isTransaction) return load();
    return cache.get(accountId, Date.now(), load, { keep: (key) => key !== null });
  };

  const keyOrCreate = async (db: Kysely<Database>, accountId: string): Promise<Buffer> => {
    const existing = await keyOf(db, accountId);
    if (existing !== null) return existing;
    const key = randomBytes(KEY_BYTES);
    const inserted = await db
      .insertInto('key_store.account_keys')
      .values({ account_id: accountId, wrapped_key: encrypt(wrapKey, randomBytes(IV_BYTES), key, aad(accountId)), master_key_id: masterKeyId })
      .onConflict((conflict) => conflict.column('account_id').doNothing())
      .returning('account_id')
      .executeTakeFirst();
    if (inserted !== undefined) return key;
    // Another writer made it first (its insert waited for nothing of ours): use theirs.
    const theirs = (await loadKeys(db, [accountId])).get(accountId);
    if (theirs === undefined) throw new VaultError(`no key for account ${accountId}`);
    return theirs;
  };

  const sealWith = (key: Buffer, accountId: string, text: string, sealOptions: SealOptions) => {
    const plain = Buffer.from(text, 'utf8');
    const iv = sealOptions.deterministic ? createHmac('sha256', key).update(plain).digest().subarray(0, IV_BYTES) : randomBytes(IV_BYTES);
    return `${PREFIX}${accountId}.${encrypt(key, iv, plain, aad(accountId)).toString('base64url')}`;
  };

  const seal = async (db: Kysely<Database>, accountId: string, text: string, sealOptions: SealOptions = {}) =>
    sealWith(await keyOrCreate(db, accountId), accountId, text, sealOptions);

  const openWith = (keys: ReadonlyMap<string, Buffer | null>, value: string): string | null => {
    const { accountId, body } = parse(value);
    const key = keys.get(accountId);
    if (key === undefined || key === null) return null;
    try {
      return decrypt(key, body, aad(accountId)).toString('utf8');
    } catch (error) {
      throw new VaultError(`a sealed value of account ${accountId} does not open under its key`, { cause: error });
    }
  };

  const keysFor = async (db: Kysely<Database>, values: readonly string[]): Promise<Map<string, Buffer | null>> => {
    const ids = [...new Set(values.map(accountOf))];
    const keys = new Map<string, Buffer | null>();
    if (ids.length === 1) keys.set(ids[0]!, await keyOf(db, ids[0]!));
    else if (ids.length > 1) {
      const loaded = await loadKeys(db, ids);
      for (const id of ids) keys.set(id, loaded.get(id) ?? null);
    }
    return keys;
  };

  return {
    seal,
    async sealNullable(db, accountId, text, sealOptions) {
      return text === null ? null : seal(db, accountId, text, sealOptions);
    },
    async sealAll(db, accountId, texts, sealOptions = {}) {
      if (texts.every((text) => text === null)) return [...texts];
      const key = await keyOrCreate(db, accountId);
      return texts.map((text) => (text === null ? null : sealWith(key, accountId, text, sealOptions)));
    },
    async open(db, value) {
      if (!isSealed(value)) return value;
      return openWith(await keysFor(db, [value]), value);
    },
    async openAll(db, values) {
      const sealed = values.filter(isSealed);
      if (sealed.length === 0) return [...values];
      const keys = await keysFor(db, sealed);
      return values.map((value) => (isSealed(value) ? openWith(keys, value) : value));
    },
    lookupHash(value) {
      return `h1.${createHmac('sha256', lookupKey).update(value).digest('base64url')}`;
    },
    async shred(db, accountId) {
      const deleted = await db.deleteFrom('key_store.account_keys').where('account_id', '=', accountId).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },
    async check(db) {
      const other = await db
        .selectFrom('key_store.account_keys')
        .select('master_key_id')
        .where('master_key_id', '!=', masterKeyId)
        .limit(1)
        .executeTakeFirst()
        .catch((error: unknown) => {
          // A data backup restored alone (pg_dump --exclude-schema=key_store, as docs/architecture.md advises).
          if ((error as { code?: string }).code === MISSING_RELATION) {
            throw new VaultError('the key store (schema key_store) is missing: restore it from its own backup (pg_dump --schema=key_store) first', {
              cause: error,
            });
          }
          throw error;
        });
      if (other !== undefined) {
        throw new VaultError('the key store holds keys wrapped by another master key: PRIVACY_MASTER_KEY is not the one these accounts were written with');
      }
    },
    poll(db, now) {
      return pollCaches(db, KEYS_TOPIC, [cache], now);
    },
  };
}
