// The master key that wraps the account keys, as single-machine mode and a shared database get it (privacyMasterKey).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';
import { createVault } from '../../core/privacy/vault.ts';
import { privacyMasterKey } from '../../local-servers/secrets.ts';
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
