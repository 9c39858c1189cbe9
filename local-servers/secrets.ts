/**
 * Secrets single-machine mode generates once and keeps under the data folder (`secrets.json`, mode 0600), so a
 * restart keeps browser credentials valid and de-identified records consistent. A missing entry is added; none is
 * ever replaced.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
}

const NAMES = ['drachtioSecret', 'sipSecret', 'eslPassword', 'turnSecret', 'privacyHashKey'] as const;

export function secretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

export async function loadOrCreateSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = secretsFile(dataDir);
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
  const secrets = Object.fromEntries(
    NAMES.map((name) => {
      const value = stored[name];
      return [name, typeof value === 'string' && value.length >= 32 ? value : randomBytes(32).toString('hex')];
    }),
  ) as unknown as LocalSecrets;
  if (NAMES.some((name) => stored[name] !== secrets[name])) {
    await mkdir(dataDir, { recursive: true });
    // Written aside and renamed: a crash mid-write never leaves a half file that would replace every secret.
    const partial = `${file}.${process.pid}.tmp`;
    await writeFile(partial, `${JSON.stringify({ ...stored, ...secrets }, null, 2)}\n`, { mode: 0o600 });
    await rename(partial, file);
  }
  await chmod(file, 0o600);
  return secrets;
}
