/**
 * A fresh, migrated database per suite on every dialect: PGlite in memory, and a throw-away database on a
 * real Postgres server (TEST_POSTGRES_URL, default the local server). Where no server answers, the Postgres
 * suites are skipped with one line saying so, unless REQUIRE_POSTGRES=1 (CI), where that is a failure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { connectDatabase, type DatabaseHandle, type DialectName } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';

export const DIALECTS: readonly DialectName[] = ['pglite', 'postgres'];

const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const requirePostgres = process.env.REQUIRE_POSTGRES === '1';

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return `no Postgres server at ${new URL(adminUrl).host} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresMissing = await probePostgres();
if (postgresMissing !== undefined && !requirePostgres) {
  console.warn(`[harness] Postgres suites skipped: ${postgresMissing}; set TEST_POSTGRES_URL to run them`);
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends DatabaseHandle {
  /** For Postgres, the URL of this suite's own database (to hand to a spawned process). */
  readonly url: string | undefined;
}

/**
 * Creates and migrates a database that only the caller uses; `close()` drops it. `migrate: false` leaves it empty,
 * for restoring a dump into.
 */
export async function freshDatabase(dialect: DialectName, options: { readonly migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (dialect === 'pglite') {
    const handle = connectDatabase({ kind: 'pglite', dataDir: 'memory://' });
    if (migrate) await migrateToLatest(handle.db);
    return { ...handle, url: undefined };
  }
  if (postgresMissing !== undefined) throw new Error(`Postgres required (REQUIRE_POSTGRES=1) but ${postgresMissing}`);
  const name = `dialo_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = connectDatabase({ kind: 'postgres', url: url.toString() });
  if (migrate) await migrateToLatest(handle.db);
  return {
    ...handle,
    url: url.toString(),
    async close() {
      await handle.close();
      // Ours are closed; one still closing would be killed by FORCE mid-goodbye (an unhandled 57P01 in the suite).
      for (let attempt = 0; ; attempt++) {
        try {
          await adminQuery(`drop database if exists ${name}${attempt < 20 ? '' : ' with (force)'}`);
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
  };
}

/**
 * Declares `body` once per dialect, each with its own fresh database for the whole describe block.
 * @example
 * describeEachDialect('accounts', (database) => {
 *   it('inserts', async () => { await database().db.insertInto('accounts')... });
 * });
 */
export function describeEachDialect(name: string, body: (database: () => TestDatabase, dialect: DialectName) => void): void {
  for (const dialect of DIALECTS) {
    const skip = dialect === 'postgres' && postgresMissing !== undefined && !requirePostgres;
    (skip ? describe.skip : describe)(`${name} [${dialect}]`, () => {
      let database: TestDatabase | undefined;
      beforeAll(async () => {
        database = await freshDatabase(dialect);
      });
      afterAll(async () => {
        await database?.close();
      });
      body(() => {
        if (database === undefined) throw new Error('database not ready: use it inside a test or hook');
        return database;
      }, dialect);
    });
  }
}

/** Real Postgres where a server answers (always in CI), else PGlite: for suites too slow to run twice. */
export function preferredDialect(): DialectName {
  return postgresMissing === undefined || requirePostgres ? 'postgres' : 'pglite';
}

const run = promisify(execFile);

/**
 * `pg_dump` of a Postgres test database in plain SQL, as an operator backs one up: `args` choose what
 * (`--exclude-schema=key_store` for the data, `--schema=key_store` for the keys). Returns the dump's file.
 */
export async function pgDump(database: TestDatabase, file: string, args: readonly string[]): Promise<string> {
  if (database.url === undefined) throw new Error('pg_dump needs a Postgres test database');
  await run('pg_dump', ['--no-owner', '--no-privileges', ...args, '--file', file, database.url]);
  return file;
}

/** Restores a plain dump with `psql`, stopping at the first error. */
export async function psqlRestore(database: TestDatabase, file: string): Promise<void> {
  if (database.url === undefined) throw new Error('psql needs a Postgres test database');
  await run('psql', ['--quiet', '--no-psqlrc', '--set', 'ON_ERROR_STOP=1', '--file', file, database.url]);
}
