// The vault against each database: sealing, opening, the key store in its own schema, and shredding.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createVault, isSealed, VaultError } from '../../../core/privacy/vault.ts';
import { describeEachDialect, freshDatabase } from '../../harness/databases.ts';
import { openWithin } from '../../harness/privacy.ts';

const MASTER = 'a-master-key-for-vault-tests-0123456789';

describe('vault without a database', () => {
  it('refuses a master key shorter than 32 characters', () => {
    expect(() => createVault('short')).toThrow(VaultError);
  });

  it('gives a stable keyed lookup hash that depends on the master key', () => {
    const vault = createVault(MASTER);
    expect(vault.lookupHash('ada@example.org')).toBe(vault.lookupHash('ada@example.org'));
    expect(vault.lookupHash('ada@example.org')).not.toBe(vault.lookupHash('bob@example.org'));
    expect(createVault(`${MASTER}x`).lookupHash('ada@example.org')).not.toBe(vault.lookupHash('ada@example.org'));
    expect(vault.lookupHash('ada@example.org')).not.toContain('ada');
  });
});

describeEachDialect('vault', (database, dialect) => {
  const vault = createVault(MASTER);

  it('seals text so the stored value shows nothing of it, and opens it again', async () => {
    const { db } = database();
    const account = randomUUID();
    const sealed = await vault.seal(db, account, 'Ada Lovelace +442071234567');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('Ada');
    expect(sealed).not.toContain('442071234567');
    expect(await vault.open(db, sealed)).toBe('Ada Lovelace +442071234567');
    // A random IV: the same text seals differently each time, unless asked to be deterministic.
    expect(await vault.seal(db, account, 'x')).not.toBe(await vault.seal(db, account, 'x'));
    expect(await vault.seal(db, account, '+15551230000', { deterministic: true })).toBe(await vault.seal(db, account, '+15551230000', { deterministic: true }));
  });

  it('seals many values of one account with one key read, null staying null, as seal would', async () => {
    const { db } = database();
    const account = randomUUID();
    const sealed = await vault.sealAll(db, account, ['+15550000003', null, '+15550000004'], { deterministic: true });
    expect(sealed[1]).toBeNull();
    expect(sealed[0]).toBe(await vault.seal(db, account, '+15550000003', { deterministic: true }));
    expect(await vault.openAll(db, sealed)).toEqual(['+15550000003', null, '+15550000004']);
    expect(await vault.sealAll(db, randomUUID(), [null])).toEqual([null]);
  });

  it('keeps one key per account, wrapped, in the key_store schema', async () => {
    const { db } = database();
    const account = randomUUID();
    await vault.seal(db, account, 'one');
    await vault.seal(db, account, 'two');
    const rows = await db.selectFrom('key_store.account_keys').selectAll().where('account_id', '=', account).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.wrapped_key.length).toBe(12 + 32 + 16);
  });

  it('passes plain and de-identified values through, and keeps null as null', async () => {
    const { db } = database();
    expect(await vault.open(db, 'plain text')).toBe('plain text');
    // Written before sealing, and only looking like a sealed value's start.
    expect(await vault.open(db, 'v1.bob@example.org')).toBe('v1.bob@example.org');
    expect(await vault.open(db, null)).toBeNull();
    expect(await vault.sealNullable(db, randomUUID(), null)).toBeNull();
  });

  it('opens many values of many accounts at once, and sealed values inside a line of text', async () => {
    const { db } = database();
    const [a, b] = [randomUUID(), randomUUID()];
    const values = [await vault.seal(db, a, '+15550000001'), null, 'anon:abc', await vault.seal(db, b, '+15550000002')];
    expect(await vault.openAll(db, values)).toEqual(['+15550000001', null, 'anon:abc', '+15550000002']);
    const line = `1,${values[0]},"x",${values[3]}\n`;
    expect(await openWithin(db, vault, line)).toBe('1,+15550000001,"x",+15550000002\n');
  });

  it("makes everything sealed under an account's key unreadable once the key is shredded", async () => {
    const { db } = database();
    const [gone, kept] = [randomUUID(), randomUUID()];
    const sealed = await vault.seal(db, gone, 'erase me');
    const other = await vault.seal(db, kept, 'keep me');
    expect(await vault.shred(db, gone)).toBe(true);
    expect(await vault.open(db, sealed)).toBeNull();
    expect(await openWithin(db, vault, `${sealed};${other}`)).toBe(';keep me');
    expect(await vault.shred(db, gone)).toBe(false);
    // A vault with the same master key but a fresh cache cannot read it either: the key is gone, not hidden.
    expect(await createVault(MASTER).open(db, sealed)).toBeNull();
  });

  it("moves the key caches' counter only when a key is really destroyed", async () => {
    const { db } = database();
    const counter = async () => (await db.selectFrom('cache_versions').select('version').where('topic', '=', 'account-keys').executeTakeFirstOrThrow()).version;
    const before = await counter();
    expect(await vault.shred(db, randomUUID())).toBe(false);
    expect(await counter()).toBe(before);
    const account = randomUUID();
    await vault.seal(db, account, 'x');
    expect(await vault.shred(db, account)).toBe(true);
    expect(await counter()).toBe(before + 1);
  });

  it('forgets a key shredded by another node once it polls the key store counter', async () => {
    const { db } = database();
    const node = createVault(MASTER);
    const account = randomUUID();
    const sealed = await node.seal(db, account, 'cached');
    await node.poll(db, Date.now());
    expect(await node.open(db, sealed)).toBe('cached');
    await createVault(MASTER).shred(db, account);
    await node.poll(db, Date.now());
    expect(await node.open(db, sealed)).toBeNull();
  });

  it('loses no key created in a transaction that rolled back, and seals nothing with it', async () => {
    const { db } = database();
    const account = randomUUID();
    await expect(
      db.transaction().execute(async (trx) => {
        await vault.seal(trx, account, 'rolled back');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.selectFrom('key_store.account_keys').select('account_id').where('account_id', '=', account).executeTakeFirst()).toBeUndefined();
    const sealed = await vault.seal(db, account, 'after');
    expect(await createVault(MASTER).open(db, sealed)).toBe('after');
  });

  it('refuses at boot a master key other than the one the key store was written with', async () => {
    const { db } = database();
    await vault.seal(db, randomUUID(), 'x');
    await expect(vault.check(db)).resolves.toBeUndefined();
    await expect(createVault(`${MASTER}-other`).check(db)).rejects.toThrow(/another master key/);
    await expect(createVault(`${MASTER}-other`).open(db, await vault.seal(db, randomUUID(), 'y'))).rejects.toThrow(/another PRIVACY_MASTER_KEY/);
  });

  it('refuses at boot, saying so, a database restored without its key store', async () => {
    const restored = await freshDatabase(dialect);
    try {
      await sql`drop schema key_store cascade`.execute(restored.db);
      await expect(vault.check(restored.db)).rejects.toThrow(/key store \(schema key_store\) is missing/);
    } finally {
      await restored.close();
    }
  });

  it('refuses a sealed value that was tampered with', async () => {
    const { db } = database();
    const sealed = await vault.seal(db, randomUUID(), 'intact');
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    await expect(vault.open(db, flipped)).rejects.toThrow(VaultError);
  });
});
