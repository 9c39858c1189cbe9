/**
 * What every `dialo` command works with: the configuration, read and checked once (config.ts, as main.ts does), the
 * database it names (migrated first, as at boot), the vault, and how to print. Opened for one command, then closed.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { ConfigError, loadConfigOrExit, type Config } from '../config.ts';
import { createVault, type Vault } from '../core/privacy/vault.ts';
import { connectDatabase, type CopyOut, type DatabaseHandle } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import type { Database } from '../db/schema.ts';
import { loadOrCreateSecrets, privacyMasterKey } from '../local-servers/secrets.ts';

export interface CliContext {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly copyOut: CopyOut | undefined;
  readonly vault: Vault;
  /** The digest realm desk phones register in: SIP_REALM, the same setting the signaling role reads. */
  readonly realm: string;
  /** PRIVACY_HASH_KEY, or with the embedded database on disk the one single-machine mode generated (as main.ts takes it). */
  hashKey(): Promise<string>;
}

let loaded: Config | undefined;

/** Read once per run; a bad variable ends the process here with one line naming it (exit 1). */
function config(): Config {
  return (loaded ??= loadConfigOrExit());
}

/**
 * The operator at the command line is audited as no account (`actor_account_id` null), as the jobs role is:
 * whoever can run this can read the database anyway.
 */
export const COMMAND_LINE = null;

/** The database for `migrate`, which neither migrates first nor needs the vault. */
export function openDatabase(): DatabaseHandle {
  const settings = config();
  refuseOpenPglite(settings);
  return connectDatabase(settings.database);
}

/**
 * PGlite is one process's at a time, with no lock of its own: a second opener would corrupt it. An open PGlite folder
 * holds `postmaster.pid` (removed when it is closed, as the app does on SIGTERM), so its presence means "in use".
 */
function refuseOpenPglite(settings: Config): void {
  const { database } = settings;
  if (database.kind !== 'pglite' || database.dataDir.includes('://')) return;
  const pid = join(database.dataDir, 'postmaster.pid');
  if (existsSync(pid)) {
    throw new Error(`the embedded database ${database.dataDir} is open in another process: stop the app first (after a crash, remove ${pid})`);
  }
}

/** Runs `work` on a freshly opened, migrated database; closed whatever happens. */
export async function withDatabase<T>(work: (context: CliContext) => Promise<T>): Promise<T> {
  const settings = config();
  refuseOpenPglite(settings);
  const masterKey = await privacyMasterKey(settings);
  const handle = connectDatabase(settings.database);
  try {
    await migrateToLatest(handle.db);
    const vault = createVault(masterKey);
    await vault.check(handle.db);
    return await work({
      config: settings,
      db: handle.db,
      copyOut: handle.copyOut,
      vault,
      realm: settings.sip?.realm ?? settings.localServers.sip.realm,
      async hashKey() {
        if (settings.privacy.hashKey !== undefined) return settings.privacy.hashKey;
        const { database } = settings;
        if (database.kind === 'pglite' && !database.dataDir.includes('://')) {
          return (await loadOrCreateSecrets(resolve(settings.localServers.dataDir))).privacyHashKey;
        }
        throw new ConfigError('PRIVACY_HASH_KEY', 'a secret of at least 32 characters for this command (it de-identifies records)', undefined);
      },
    });
  } finally {
    await handle.close();
  }
}
