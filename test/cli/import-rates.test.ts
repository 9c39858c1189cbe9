import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { connectDatabase } from '../../db/connect.ts';
import { describeEachDialect } from '../harness/databases.ts';

const run = promisify(execFile);
const HEADER = 'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from';

async function cli(file: string, env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'cli/import-rates.ts', file], { env: { ...process.env, ...env, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// The CLI opens its own connection, so it runs against a Postgres database (PGlite in memory is per process).
describeEachDialect('rates import CLI', (database, dialect) => {
  it.runIf(dialect === 'postgres')('imports a good file and refuses a bad one with line numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rates-'));
    const good = join(dir, 'good.csv');
    const bad = join(dir, 'bad.csv');
    await writeFile(good, `${HEADER}\n44,UK,0.02,60,60,0,2026-01-01T00:00:00Z\n1,NANP,0.01,6,6,0,2026-01-01T00:00:00Z\n`);
    await writeFile(bad, `${HEADER}\n45,DK,0.02,60,60,0,2026-01-01T00:00:00Z\n46,SE,free,60,60,0,2026-01-01T00:00:00Z\n`);
    const env = { DATABASE_URL: database().url ?? '' };
    expect(await cli(good, env)).toMatchObject({ code: 0, stdout: 'imported 2 rates\n' });
    const refused = await cli(bad, env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^line 3: price_per_minute/m);
    const check = connectDatabase({ kind: 'postgres', url: env.DATABASE_URL });
    try {
      expect((await check.db.selectFrom('rates').select('prefix').orderBy('prefix').execute()).map((rate) => rate.prefix)).toEqual(['1', '44']);
    } finally {
      await check.close();
    }
  });
});
