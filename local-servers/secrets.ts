/**
 * Secrets single-machine mode generates once and keeps under the data folder (`secrets.json`, mode 0600), so a
 * restart keeps browser credentials valid and de-identified records consistent. A missing entry is added; none is
 * ever replaced.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, type Config, type VapidKeys } from '../config.ts';

export interface LocalSecrets {
  readonly drachtioSecret: string;
  /** Signs browser SIP credentials and nonces (SIP_SECRET). */
  readonly sipSecret: string;
  /** FreeSWITCH's event-socket password: never the well-known default. */
  readonly eslPassword: string;
  /** coturn's static-auth-secret (WEBRTC_TURN_SECRET). */
  readonly turnSecret: string;
  /** PRIVACY_HASH_KEY when the environment sets none. */
  readonly privacyHashKey: string;
  /** PRIVACY_MASTER_KEY when the environment sets none and the database is the embedded one. */
  readonly privacyMasterKey: string;
}

const NAMES = ['drachtioSecret', 'sipSecret', 'eslPassword', 'turnSecret', 'privacyHashKey', 'privacyMasterKey'] as const;

export function secretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

/** What secrets.json holds; nothing when it is not there yet. */
async function readSecrets(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
    return {};
  }
}

export async function loadOrCreateSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = secretsFile(dataDir);
  const stored = await readSecrets(file);
  const secrets = Object.fromEntries(
    NAMES.map((name) => {
      const value = stored[name];
      return [name, typeof value === 'string' && value.length >= 32 ? value : randomBytes(32).toString('hex')];
    }),
  ) as unknown as LocalSecrets;
  if (NAMES.some((name) => stored[name] !== secrets[name])) {
    await mkdir(dataDir, { recursive: true });
    await writePrivateFile(file, `${JSON.stringify({ ...stored, ...secrets }, null, 2)}\n`);
  }
  await chmod(file, 0o600);
  return secrets;
}

/**
 * The master key that wraps the account keys (core/privacy/vault.ts): PRIVACY_MASTER_KEY, or, with the embedded
 * database, the one generated into the data folder (one for this process alone with `PGLITE_DATA_DIR=memory://`). With DATABASE_URL it must be set: nodes sharing a database
 * must share it, and a key generated on one machine would leave every other unable to read.
 */
export async function privacyMasterKey(config: Config): Promise<string> {
  if (config.privacy.masterKey !== undefined) return config.privacy.masterKey;
  if (config.database.kind === 'postgres') {
    throw new ConfigError('PRIVACY_MASTER_KEY', 'a random secret of at least 32 characters, the same on every node (needed with DATABASE_URL)', undefined);
  }
  // A database in memory dies with the process, and so may its key: nothing is written beside the code.
  if (config.database.dataDir.startsWith('memory://')) return randomBytes(32).toString('hex');
  return (await loadOrCreateSecrets(resolve(config.localServers.dataDir))).privacyMasterKey;
}

/** A fresh P-256 pair, as `npx web-push generate-vapid-keys` makes one. */
/** VAPID private keys are exactly 32 bytes (web-push refuses any other length): one in 256 has a leading zero byte. */
const VAPID_PRIVATE_KEY_BYTES = 32;

function newVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // getPrivateKey() drops leading zero bytes; a 31-byte key would make every push fail for good.
  const privateKey = ecdh.getPrivateKey();
  const padded = Buffer.concat([Buffer.alloc(VAPID_PRIVATE_KEY_BYTES - privateKey.length), privateKey]);
  return { publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: padded.toString('base64url') };
}

/**
 * The VAPID key pair pushes are signed with (RFC 8292): VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or, with the embedded
 * database, a pair generated once into the data folder's secrets.json. Every browser subscription is bound to the
 * public key, so a new pair would silently orphan them all: it is kept, never replaced. With DATABASE_URL and no keys,
 * undefined (Web Push off): nodes sharing a database must share the pair, and one node cannot make it for all.
 */
export async function vapidKeys(config: Config): Promise<VapidKeys | undefined> {
  if (config.push.vapid !== undefined) return config.push.vapid;
  if (config.database.kind === 'postgres') return undefined;
  if (config.database.dataDir.startsWith('memory://')) return newVapidKeys();
  const dataDir = resolve(config.localServers.dataDir);
  const file = secretsFile(dataDir);
  const stored = await readSecrets(file);
  // Flat strings like every other entry, so the suites that look for each secret in logs and command lines find these too.
  const { vapidPublicKey, vapidPrivateKey } = stored;
  if (typeof vapidPublicKey === 'string' && typeof vapidPrivateKey === 'string') return { publicKey: vapidPublicKey, privateKey: vapidPrivateKey };
  const vapid = newVapidKeys();
  await mkdir(dataDir, { recursive: true });
  await writePrivateFile(file, `${JSON.stringify({ ...stored, vapidPublicKey: vapid.publicKey, vapidPrivateKey: vapid.privateKey }, null, 2)}\n`);
  return vapid;
}

/**
 * Writes a file only this user can read (0600), for a server's config holding a secret: a secret on a command line
 * is readable by every local user (`ps`, /proc/<pid>/cmdline). Written aside and renamed, so the secret is never in a
 * file of another mode (one an earlier version left) and a crash mid-write never leaves a half file.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const partial = `${file}.${process.pid}.tmp`;
  await rm(partial, { force: true });
  await writeFile(partial, text, { mode: 0o600, flag: 'wx' });
  await rename(partial, file);
}

/**
 * A server's folder only this user can enter (0700): servers write files of their own mode there, such as
 * FreeSWITCH's log/freeswitch.xml.fsxml (0644), its whole config with the event-socket password expanded.
 */
export async function privateFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
}
