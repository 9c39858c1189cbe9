// A database the `dialo` bin opens by itself, on either dialect, and how its runs are judged: done (exit 0, JSON
// out) or refused (exit 1 or 2, one line on stderr).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import { connectDatabase, type DatabaseHandle, type DialectName } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import type { Database } from '../../db/schema.ts';
import { TEST_HASH_KEY, TEST_MASTER_KEY } from './api.ts';
import type { DialoRun } from './app-process.ts';
import { DIALECTS, freshDatabase, preferredDialect, type TestDatabase } from './databases.ts';

export const KEYS = { PRIVACY_MASTER_KEY: TEST_MASTER_KEY, PRIVACY_HASH_KEY: TEST_HASH_KEY, SIP_REALM: 'desk.test', LOG_LEVEL: 'silent' };

/** A database the CLI opens by itself, and a way for the test to look into it between commands. */
export interface Fixture {
  readonly env: Record<string, string>;
  readonly dir: string;
  /** On PGlite the folder is opened only for `work` and closed again: the CLI must find it free. */
  look<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function fixture(dialect: DialectName, seed: (database: TestDatabase) => Promise<void>): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'dialo-cli-'));
  if (dialect === 'postgres') {
    const database = await freshDatabase('postgres');
    await seed(database);
    return {
      env: { ...KEYS, DATABASE_URL: database.url ?? '' },
      dir,
      look: (work) => work(database.db),
      close: async () => {
        await database.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const dataDir = join(dir, 'pglite');
  const open = async (): Promise<DatabaseHandle> => connectDatabase({ kind: 'pglite', dataDir });
  const first = await open();
  await migrateToLatest(first.db);
  await seed({ ...first, url: undefined });
  await first.close();
  return {
    env: { ...KEYS, PGLITE_DATA_DIR: dataDir, DIALO_DATA_DIR: dir },
    dir,
    async look(work) {
      const handle = await open();
      try {
        return await work(handle.db);
      } finally {
        await handle.close();
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Exit 0, nothing on stderr; the JSON printed (every call here passes --json). */
export function done<T>(run: DialoRun): T {
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** Refused with this exit code and exactly one line on stderr matching `reason`; nothing on stdout. */
export function refused(run: DialoRun, code: 1 | 2, reason: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr).toMatch(/^dialo: [^\n]+\n$/);
  expect(run.stderr).toMatch(reason);
  expect(run.stdout).toBe('');
}

/** Both dialects where Postgres is at hand (as the other data-layer tests), else PGlite alone. */
export const cliDialects: readonly DialectName[] = preferredDialect() === 'postgres' ? DIALECTS : ['pglite'];
