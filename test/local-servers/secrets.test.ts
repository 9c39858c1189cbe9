// The master key that wraps the account keys, and the VAPID pair pushes are signed with, as single-machine mode and a
// shared database get them (privacyMasterKey, vapidKeys).
import { createPrivateKey, createPublicKey, randomUUID, sign, verify } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';
import { createVault } from '../../core/privacy/vault.ts';
import { privacyMasterKey, vapidKeys } from '../../local-servers/secrets.ts';
import { TEST_MASTER_KEY } from '../harness/api.ts';
import { freshDatabase, type TestDatabase } from '../harness/databases.ts';

describe('the privacy master key', () => {
  let dataDir: string;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase('pglite');
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dialo-master-key-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('with the embedded database, is generated once into secrets.json (0600) and kept across restarts', async () => {
    const config = loadConfig({ DIALO_DATA_DIR: dataDir });
    const first = await privacyMasterKey(config);
    const file = join(dataDir, 'secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ privacyMasterKey: first });

    // A restart: what the first process sealed, the next one opens.
    const accountId = randomUUID();
    const sealed = await createVault(first).seal(database.db, accountId, 'ada@example.org');
    const again = await privacyMasterKey(loadConfig({ DIALO_DATA_DIR: dataDir }));
    expect(again).toBe(first);
    await createVault(again).check(database.db);
    expect(await createVault(again).open(database.db, sealed)).toBe('ada@example.org');
  });

  it('is added to a secrets.json an earlier version wrote, keeping what it holds', async () => {
    const earlier = { sipSecret: 's'.repeat(40) };
    await writeFile(join(dataDir, 'secrets.json'), JSON.stringify(earlier));
    const key = await privacyMasterKey(loadConfig({ DIALO_DATA_DIR: dataDir }));
    expect(JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8'))).toMatchObject({ ...earlier, privacyMasterKey: key });
  });

  it('is PRIVACY_MASTER_KEY when set, and then nothing is written', async () => {
    expect(await privacyMasterKey(loadConfig({ DIALO_DATA_DIR: dataDir, PRIVACY_MASTER_KEY: TEST_MASTER_KEY }))).toBe(TEST_MASTER_KEY);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('with DATABASE_URL, must be set: nodes sharing a database must share it', async () => {
    const config = loadConfig({ DIALO_DATA_DIR: dataDir, DATABASE_URL: 'postgres://dialo@db.example.org/dialo' });
    await expect(privacyMasterKey(config)).rejects.toThrow(ConfigError);
    await expect(privacyMasterKey(config)).rejects.toThrow(/^PRIVACY_MASTER_KEY: expected a random secret of at least 32 characters/);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('with a database in memory, is for this process alone: nothing is written', async () => {
    const config = loadConfig({ DIALO_DATA_DIR: dataDir, PGLITE_DATA_DIR: 'memory://' });
    const key = await privacyMasterKey(config);
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(await privacyMasterKey(config)).not.toBe(key);
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('the VAPID key pair (RFC 8292)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dialo-vapid-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Whether `privateKey` is the P-256 key of `publicKey`: a signature by one verifies with the other. */
  function isPair({ publicKey, privateKey }: { publicKey: string; privateKey: string }): boolean {
    const point = Buffer.from(publicKey, 'base64url');
    const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
    const signature = sign('sha256', Buffer.from('probe'), createPrivateKey({ key: { ...jwk, d: privateKey }, format: 'jwk' }));
    return verify('sha256', Buffer.from('probe'), createPublicKey({ key: jwk, format: 'jwk' }), signature);
  }

  it('is generated with a private key of exactly 32 bytes, also when the key starts with a zero byte (one in 256)', async () => {
    // 3,000 pairs: a generator that drops leading zero bytes is caught but in about 1 run in 100,000.
    for (let i = 0; i < 3000; i++) {
      const pair = (await vapidKeys(loadConfig({ PGLITE_DATA_DIR: 'memory://' })))!;
      expect(Buffer.from(pair.privateKey, 'base64url')).toHaveLength(32);
    }
  });

  it('with the embedded database, is generated once into secrets.json (0600), beside the other secrets, and kept', async () => {
    const earlier = { sipSecret: 's'.repeat(40) };
    await writeFile(join(dataDir, 'secrets.json'), JSON.stringify(earlier));
    const first = await vapidKeys(loadConfig({ DIALO_DATA_DIR: dataDir }));
    expect(first).toBeDefined();
    expect(Buffer.from(first!.publicKey, 'base64url')).toHaveLength(65);
    expect(Buffer.from(first!.privateKey, 'base64url')).toHaveLength(32);
    expect(isPair(first!)).toBe(true);
    const file = join(dataDir, 'secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...earlier, vapidPublicKey: first!.publicKey, vapidPrivateKey: first!.privateKey });
    // A restart keeps the pair: every browser's subscription is bound to its public key.
    expect(await vapidKeys(loadConfig({ DIALO_DATA_DIR: dataDir }))).toEqual(first);
    await privacyMasterKey(loadConfig({ DIALO_DATA_DIR: dataDir }));
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ vapidPublicKey: first!.publicKey, vapidPrivateKey: first!.privateKey });
  });

  it('is VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY when set, and then nothing is written', async () => {
    const pair = await vapidKeys(loadConfig({ PGLITE_DATA_DIR: 'memory://' }));
    const env = { DIALO_DATA_DIR: dataDir, VAPID_PUBLIC_KEY: pair!.publicKey, VAPID_PRIVATE_KEY: pair!.privateKey };
    expect(await vapidKeys(loadConfig(env))).toEqual(pair);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('with DATABASE_URL and no keys, is off (nodes must share one pair), and nothing is written', async () => {
    expect(await vapidKeys(loadConfig({ DIALO_DATA_DIR: dataDir, DATABASE_URL: 'postgres://dialo@db.example.org/dialo' }))).toBeUndefined();
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('refuses a private key that is not the public key’s, without writing the secret in the error', async () => {
    const one = await vapidKeys(loadConfig({ PGLITE_DATA_DIR: 'memory://' }));
    const other = await vapidKeys(loadConfig({ PGLITE_DATA_DIR: 'memory://' }));
    const mismatched = () => loadConfig({ VAPID_PUBLIC_KEY: one!.publicKey, VAPID_PRIVATE_KEY: other!.privateKey });
    expect(mismatched).toThrow(ConfigError);
    expect(mismatched).toThrow(/^VAPID_PRIVATE_KEY: expected a base64url P-256 private key whose public key is VAPID_PUBLIC_KEY/);
    expect(mismatched).not.toThrow(other!.privateKey);
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: one!.publicKey })).toThrow(/^VAPID_PRIVATE_KEY: expected set when the other VAPID key is set/);
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: one!.privateKey })).toThrow(/^VAPID_PRIVATE_KEY/);
  });

  it('has a subject push services can reach: mailto: or https:, the operator contact by default', () => {
    expect(loadConfig({ OPERATOR_CONTACT_EMAIL: 'ops@example.org' }).push.subject).toBe('mailto:ops@example.org');
    expect(loadConfig({ VAPID_SUBJECT: 'https://dialo.example.org/contact' }).push.subject).toBe('https://dialo.example.org/contact');
    for (const bad of ['http://dialo.example.org', 'ops@example.org', 'mailto:nobody']) {
      expect(() => loadConfig({ VAPID_SUBJECT: bad }), bad).toThrow(/^VAPID_SUBJECT: expected a mailto: address or an https: URL/);
    }
  });
});
