/**
 * Operator CDR export at 1,000,000 rows: how close to Postgres's own speed, in flat memory? Each path writes the
 * export's exact text (core/calls/cdr-export.ts, as GET /admin/cdrs/export sends it):
 * - COPY: Postgres writes CSV or NDJSON itself (`copyCdrs`, what the route uses on Postgres);
 * - batches: keyset batches of 1,000 -> csv-stringify / JSON.stringify (`exportCdrs`, what it uses on PGlite);
 * - COPY, filtered: the same with a direction and an outcome filter every row passes (their cost alone);
 * against the baseline in the same run: `psql -c` running the very same COPY statement, its output counted. The
 * numbers are stored sealed, as calls write them (core/calls/cdr.ts): both paths open them, psql writes them sealed,
 * so the bytes are compared with the batches' (the reference text), not psql's.
 * Live heap is sampled after a forced collection every 2,000 chunks (collection time excluded).
 * Run: `node --expose-gc --import tsx bench/cdr-export.ts [--rows 1000000]` (TEST_POSTGRES_URL picks the server).
 */
import { spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify';
import { sql } from 'kysely';
import { CDR_EXPORT_COLUMNS, copyCdrs, copyStatement, exportCdrs, type CdrExportFormat } from '../core/calls/cdr-export.ts';
import { TEST_VAULT as vault } from '../test/harness/api.ts';
import { freshDatabase } from '../test/harness/databases.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const ROWS = Number(values.rows);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc: live heap is measured after a collection');

interface Run {
  bytes: number;
  seconds: number;
  peakHeapMb: number;
}

/** Bytes written, and the most heap still live (after a collection) at samples taken while writing. */
async function measure(source: () => Promise<Readable>): Promise<Run> {
  gc!();
  const baseHeap = process.memoryUsage().heapUsed;
  let peak = baseHeap;
  let writes = 0;
  let gcMs = 0;
  let bytes = 0;
  const started = performance.now();
  await pipeline(
    await source(),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (++writes % 2000 === 0) {
          const before = performance.now();
          gc!();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
          gcMs += performance.now() - before;
        }
        done();
      },
    }),
  );
  return { bytes, seconds: (performance.now() - started - gcMs) / 1000, peakHeapMb: (peak - baseHeap) / 1024 / 1024 };
}

/** psql running the statement, its stdout counted here: the database's own speed, with a client reading it. */
async function psql(url: string, statement: string): Promise<Run> {
  const started = performance.now();
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', statement], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`psql exited with ${code}`);
  return { bytes, seconds: (performance.now() - started) / 1000, peakHeapMb: NaN };
}

const database = await freshDatabase('postgres');
// As main.ts does: the keys come from the vault's cache while its change counter is polled.
const keyPoll = setInterval(() => void vault.poll(database.db, Date.now()), 1000);
try {
  const { db } = database;
  await vault.poll(db, Date.now());
  const account = await db.insertInto('accounts').values({ email: 'bench-export@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
  // The 100,000 destinations and the caller's number, sealed as openCdr seals them (deterministic: one value each).
  await sql`create table bench_sealed (n int primary key, sealed text not null)`.execute(db);
  const destinations = Array.from({ length: 100_000 }, (_, n) => `+4420794${String(n).padStart(5, '0')}`);
  const sealed = await vault.sealAll(db, account.id, destinations, { deterministic: true });
  for (let at = 0; at < sealed.length; at += 5000) {
    await db
      .insertInto('bench_sealed' as never)
      .values(sealed.slice(at, at + 5000).map((value, i) => ({ n: at + i, sealed: value })) as never)
      .execute();
  }
  const caller = await vault.seal(db, account.id, '+14155550199', { deterministic: true });
  await sql`
    insert into cdrs (sip_call_id, direction, account_id, from_number, to_number, phase, started_at, answered_at, ended_at, ended_by,
                      hangup_cause, billable_seconds, cost, node_id)
    select 'bench-' || n, 'outbound', ${account.id}, ${caller}, (select sealed from bench_sealed where bench_sealed.n = series.n % 100000), 'ended',
           timestamptz '2026-01-01' + n * interval '1 second', timestamptz '2026-01-01' + n * interval '1 second' + interval '3 seconds',
           timestamptz '2026-01-01' + n * interval '1 second' + interval '93 seconds', 'caller', 'normal', 90, 9000 + n % 7, 'bench'
    from generate_series(1, ${ROWS}::int) as series(n)
  `.execute(db);
  await sql`vacuum analyze cdrs`.execute(db);

  const batches = (format: CdrExportFormat) => async () => {
    const rows = Readable.from(exportCdrs(db, vault, {}), { objectMode: true });
    return format === 'csv' ? rows.pipe(stringify({ header: true, columns: [...CDR_EXPORT_COLUMNS] })) : rows.map((row) => `${JSON.stringify(row)}\n`);
  };
  console.log(`| rows | format | path | rows/s | vs psql | live heap MB (peak) | bytes equal to the batches' |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const format of ['csv', 'ndjson'] as const) {
    // Baseline and paths interleaved, twice, so a slow moment of the shared box hits them alike; the better run counts.
    const runs = new Map<string, Run>();
    for (let round = 0; round < 2; round++) {
      const paths: [string, () => Promise<Run>][] = [
        ['psql COPY (baseline)', () => psql(database.url!, copyStatement(db, {}, format))],
        ['COPY (copyCdrs)', () => measure(() => copyCdrs(database.copyOut!, db, vault, {}, format))],
        // Every bench record is outbound and answered: the same rows, each checked against the filters on the way.
        [
          'COPY, filtered (direction, outcome)',
          () => measure(() => copyCdrs(database.copyOut!, db, vault, { direction: 'outbound', outcome: 'answered' }, format)),
        ],
        ['batches (exportCdrs)', () => measure(batches(format))],
      ];
      for (const [path, run] of paths) {
        const result = await run();
        const best = runs.get(path);
        if (best === undefined || result.seconds < best.seconds) runs.set(path, result);
      }
    }
    const baseline = runs.get('psql COPY (baseline)')!;
    const reference = runs.get('batches (exportCdrs)')!;
    for (const [path, run] of runs) {
      const heap = Number.isNaN(run.peakHeapMb) ? '—' : run.peakHeapMb.toFixed(1);
      console.log(
        `| ${ROWS} | ${format} | ${path} | ${(ROWS / run.seconds).toFixed(0)} | ${(baseline.seconds / run.seconds).toFixed(2)} | ${heap} | ${run.bytes === reference.bytes} |`,
      );
    }
  }
} finally {
  clearInterval(keyPoll);
  await database.close();
}
