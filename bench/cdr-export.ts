/**
 * Operator CDR export: does it stream in flat memory at any size, and what does that cost? The export path
 * (core/calls/cdr-export.ts keyset batches -> csv-stringify, as GET /admin/cdrs/export runs it) against a baseline
 * in the same run: one plain SELECT of the same rows, held in memory, then written as CSV.
 * Run: `node --expose-gc --import tsx bench/cdr-export.ts` (TEST_POSTGRES_URL picks the server; default the local one).
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { sql } from 'kysely';
import { CDR_EXPORT_COLUMNS, exportCdrs } from '../core/calls/cdr-export.ts';
import { freshDatabase } from '../test/harness/databases.ts';

const SIZES = [20_000, 200_000];

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc: live heap is measured after a collection');

/** Bytes written, and the most heap still live (after a collection) at samples taken while writing. */
async function measure(rows: AsyncIterable<object> | Iterable<object>): Promise<{ bytes: number; seconds: number; peakHeapMb: number }> {
  gc!();
  const baseHeap = process.memoryUsage().heapUsed;
  let peak = baseHeap;
  let writes = 0;
  let gcMs = 0;
  let bytes = 0;
  const started = performance.now();
  await pipeline(
    Readable.from(rows, { objectMode: true }),
    stringify({ header: true, columns: [...CDR_EXPORT_COLUMNS] }),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        // Every 2,000th write: collect and sample what is really retained (collection time not counted).
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

const database = await freshDatabase('postgres');
try {
  const { db } = database;
  const account = await db.insertInto('accounts').values({ email: 'bench-export@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
  let inserted = 0;
  console.log('rows     path              seconds  rows/s   live heap MB (peak)');
  for (const size of SIZES) {
    await sql`
      insert into cdrs (sip_call_id, direction, account_id, from_number, to_number, phase, started_at, answered_at, ended_at, ended_by,
                        hangup_cause, billable_seconds, cost, node_id)
      select 'bench-' || n, 'outbound', ${account.id}, '+14155550199', '+4420794' || lpad((n % 100000)::text, 5, '0'), 'ended',
             timestamptz '2026-01-01' + n * interval '1 second', timestamptz '2026-01-01' + n * interval '1 second' + interval '3 seconds',
             timestamptz '2026-01-01' + n * interval '1 second' + interval '93 seconds', 'caller', 'normal', 90, 9000, 'bench'
      from generate_series(${inserted + 1}::int, ${size}::int) as n
    `.execute(db);
    inserted = size;
    const streamed = await measure(exportCdrs(db, {}));
    const held = await measure(
      (async function* () {
        yield* await db.selectFrom('cdrs').select(CDR_EXPORT_COLUMNS).orderBy('started_at').orderBy('id').execute();
      })(),
    );
    for (const [path, run] of [
      ['export (batches)', streamed],
      ['one SELECT', held],
    ] as const) {
      console.log(
        `${String(size).padEnd(8)} ${path.padEnd(17)} ${run.seconds.toFixed(2).padStart(7)}  ${(size / run.seconds).toFixed(0).padStart(7)}  ${run.peakHeapMb.toFixed(1).padStart(8)}`,
      );
    }
    console.log(
      `${String(size).padEnd(8)} export/baseline throughput ratio ${(held.seconds / streamed.seconds).toFixed(2)}; same bytes: ${streamed.bytes === held.bytes}`,
    );
  }
} finally {
  await database.close();
}
