// `dialo cdrs export` of 200k records to a file holds no more memory than one of 20k: the export streams (COPY on
// Postgres, numbers opened a chunk at a time) instead of gathering. Peak RSS of the child, from GNU time.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDialo } from '../harness/app-process.ts';
import { TEST_HASH_KEY, TEST_MASTER_KEY, TEST_VAULT } from '../harness/api.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';

vi.setConfig({ testTimeout: 600_000, hookTimeout: 300_000 });

/** Records seeded by SQL (generate_series), each with a from and a to number sealed as calls seal them. */
async function addRecords(database: TestDatabase, accountId: string, first: number, last: number): Promise<void> {
  await sql`
    insert into cdrs (sip_call_id, direction, account_id, from_number, to_number, phase, started_at, answered_at, ended_at, ended_by,
                      hangup_cause, billable_seconds, cost, node_id)
    select 'mem-' || n, 'outbound', ${accountId}, (select sealed from mem_sealed where mem_sealed.n = 0),
           (select sealed from mem_sealed where mem_sealed.n = 1 + series.n % 1000), 'ended',
           timestamptz '2026-01-01' + n * interval '1 second', timestamptz '2026-01-01' + n * interval '1 second' + interval '3 seconds',
           timestamptz '2026-01-01' + n * interval '1 second' + interval '63 seconds', 'caller', 'normal', 60, 9000 + n % 7, 'mem'
    from generate_series(${first}::int, ${last}::int) as series(n)
  `.execute(database.db);
}

// Postgres only: seeding 200k rows by SQL is what makes this quick, and it is the path (COPY) production takes.
describe.skipIf(preferredDialect() !== 'postgres')('dialo cdrs export memory [postgres]', () => {
  let database: TestDatabase;
  let dir: string;
  let accountId: string;
  beforeAll(async () => {
    database = await freshDatabase('postgres');
    dir = await mkdtemp(join(tmpdir(), 'dialo-export-'));
    const { db } = database;
    accountId = (await db.insertInto('accounts').values({ email: null, status: 'active' }).returning('id').executeTakeFirstOrThrow()).id;
    const numbers = ['+14155550199', ...Array.from({ length: 1000 }, (_, n) => `+4420794${String(n).padStart(5, '0')}`)];
    const sealed = await TEST_VAULT.sealAll(db, accountId, numbers, { deterministic: true });
    await sql`create table mem_sealed (n int primary key, sealed text not null)`.execute(db);
    await db
      .insertInto('mem_sealed' as never)
      .values(sealed.map((value, n) => ({ n, sealed: value })) as never)
      .execute();
  });
  afterAll(async () => {
    await database?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({ DATABASE_URL: database.url ?? '', PRIVACY_MASTER_KEY: TEST_MASTER_KEY, PRIVACY_HASH_KEY: TEST_HASH_KEY, LOG_LEVEL: 'silent' });
  const exportTo = async (file: string) => {
    const run = await runDialo(['--json', 'cdrs', 'export', '--output', file], env(), { time: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return { rows: (JSON.parse(run.stdout) as { rows: number }).rows, peakRssKb: run.peakRssKb ?? NaN };
  };

  it('exports 200k records to a file in the memory 20k take', async () => {
    await addRecords(database, accountId, 1, 20_000);
    const small = await exportTo(join(dir, 'small.csv'));
    await addRecords(database, accountId, 20_001, 200_000);
    await sql`vacuum analyze cdrs`.execute(database.db);
    const large = await exportTo(join(dir, 'large.csv'));

    expect(small.rows).toBe(20_000);
    expect(large.rows).toBe(200_000);
    const text = await readFile(join(dir, 'large.csv'), 'utf8');
    expect(text.split('\n').length).toBe(200_002); // the header, the records, and the empty string after the last newline
    expect(text).toContain(',+14155550199,+442079400001,');
    // The file is ~10x larger (about 50 MB); gathering it, even in part, would show here. 16 MB covers the memo of
    // opened numbers and the GC's slack between runs.
    console.info(`[cdr export] peak RSS: 20k rows ${small.peakRssKb} kB, 200k rows ${large.peakRssKb} kB; file ${text.length} bytes`);
    expect(large.peakRssKb - small.peakRssKb).toBeLessThan(16 * 1024);
  });

  it('draws a progress bar with rows/s and ETA on a terminal (util-linux script gives it one)', async () => {
    const file = join(dir, 'tty.csv');
    const dialo = fileURLToPath(new URL('../../cli/dialo.js', import.meta.url));
    const { stdout } = await promisify(execFile)('script', ['-qec', `${process.execPath} ${dialo} cdrs export --output ${file}`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env() },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toMatch(/cdrs \[.*\] \d+\/200000 rows \| \d+ rows\/s \| ETA /);
    expect(stdout).toContain(`exported 200000 records to ${file}`);
  });
});
