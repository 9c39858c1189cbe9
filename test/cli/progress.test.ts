// `dialo`'s progress bars, on a terminal (util-linux `script` gives the command one) and off it: rates import counts
// rates, retention its steps and the rows they touched, both at rows/s. Without a terminal, stderr stays empty (the
// export's bar is checked with its 200k records in cdr-export-memory.test.ts).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDialo } from '../harness/app-process.ts';
import { preferredDialect } from '../harness/databases.ts';
import { done, fixture, type Fixture } from '../harness/dialo-fixture.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const DIALO = fileURLToPath(new URL('../../cli/dialo.js', import.meta.url));
const RATES = 2500;
const EXPIRED_COUNTERS = 40;

describe(`dialo progress bars [${preferredDialect()}]`, () => {
  let data: Fixture;
  let rates: string;
  beforeAll(async () => {
    data = await fixture(preferredDialect(), async ({ db }) => {
      // Spent rate-limit windows: rows the retention run deletes.
      await db
        .insertInto('rate_limit_counters')
        .values(Array.from({ length: EXPIRED_COUNTERS }, (_, n) => ({ key: `progress:${n}`, window_start: new Date(0), hits: 1, expires_at: new Date(1000) })))
        .execute();
    });
    rates = join(data.dir, 'rates.csv');
    const lines = Array.from({ length: RATES }, (_, n) => `${1000 + n},Zone ${n},0.01,60,60,0,2026-01-01T00:00:00Z`);
    await writeFile(rates, `prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from\n${lines.join('\n')}\n`);
  });
  afterAll(() => data?.close());

  /** The command on a pseudo-terminal: what the terminal showed (stdout and stderr together). */
  const onTerminal = async (args: string) => {
    const { stdout } = await promisify(execFile)('script', ['-qec', `${process.execPath} ${DIALO} ${args}`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...data.env },
    });
    return stdout;
  };

  it('rates import: a bar of rates at rows/s on a terminal, nothing on stderr off one', async () => {
    const shown = await onTerminal(`rates import ${rates}`);
    expect(shown).toMatch(new RegExp(`rates \\[.*\\] ${RATES}/${RATES} rows \\| \\d+ rows/s \\| ETA `));
    expect(shown).toContain(`imported ${RATES} rates`);
    // Piped, as a script runs it: the result only.
    expect(done(await runDialo(['--json', 'rates', 'import', rates], data.env))).toEqual({ imported: RATES });
  });

  it('retention run: a bar of steps with the rows they touched, at rows/s, on a terminal; nothing on stderr off one', async () => {
    const shown = await onTerminal('retention run');
    const frames = [...shown.matchAll(/retention \[.*?\] (\d+)\/(\d+) steps \| (\d+) rows \| \d+ rows\/s \| ETA /g)];
    expect(frames.length, shown).toBeGreaterThan(0);
    // The last frame: every step done, the spent counters among the rows.
    const [, stepsDone, steps, rows] = frames.at(-1)!;
    expect(stepsDone).toBe(steps);
    expect(Number(rows)).toBeGreaterThanOrEqual(EXPIRED_COUNTERS);
    expect(shown).toMatch(new RegExp(`rate_limit_counters\\s+${EXPIRED_COUNTERS}`));
    expect(done(await runDialo(['--json', 'retention', 'run'], data.env))).toMatchObject({ rate_limit_counters: 0 });
  });
});
