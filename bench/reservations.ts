/**
 * Reservations + settlements per second on Postgres, against a baseline in the same run: a bare
 * transaction updating one row (the least a locked money change can cost on this server).
 * Run: `npx tsx bench/reservations.ts` (TEST_POSTGRES_URL picks the server; default the local one).
 * Each worker uses its own accounts, as concurrent calls of different callers would.
 */
import { cpus } from 'node:os';
import { sql } from 'kysely';
import { appendEntry } from '../core/billing/ledger.ts';
import { reserve, settle } from '../core/billing/reservations.ts';
import { createRate, toRateInput } from '../core/billing/rates.ts';
import { micros } from '../core/money.ts';
import { freshDatabase } from '../test/harness/databases.ts';

const WORKERS = 8;
const ACCOUNTS_PER_WORKER = 4;
const OPERATIONS = 2000;

async function timed(label: string, workers: number, perWorker: (worker: number, index: number) => Promise<void>): Promise<number> {
  const per = Math.ceil(OPERATIONS / workers);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = 0; index < per; index += 1) await perWorker(worker, index);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rate = (per * workers) / seconds;
  console.log(`${label.padEnd(40)} ${String(per * workers).padStart(6)} ops  ${rate.toFixed(0).padStart(6)} ops/s`);
  return rate;
}

const database = await freshDatabase('postgres');
try {
  const { db } = database;
  const rate = await createRate(
    db,
    toRateInput({ prefix: '44', pricePerMinute: '0.012', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }),
  );
  const accounts = await db
    .insertInto('accounts')
    .values(Array.from({ length: WORKERS * ACCOUNTS_PER_WORKER }, (_, index) => ({ email: `bench-${index}@example.org`, status: 'active' as const })))
    .returning('id')
    .execute();
  for (const { id } of accounts) await appendEntry(db, { accountId: id, kind: 'top_up', amount: micros(1_000_000_000) });
  await sql`create table bench_counter (id int primary key, n bigint not null)`.execute(db);
  await sql`insert into bench_counter select g, 0 from generate_series(0, ${WORKERS * ACCOUNTS_PER_WORKER - 1}) g`.execute(db);
  const accountOf = (worker: number, index: number) => accounts[worker * ACCOUNTS_PER_WORKER + (index % ACCOUNTS_PER_WORKER)]!.id;
  const limits = { maxConcurrent: 10, maxCallSeconds: 600, setupGraceSeconds: 60 };

  console.log(`Postgres, ${WORKERS} concurrent workers, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`);
  // Warm the pool and plans before measuring.
  await timed('warm-up (reserve + settle)', WORKERS, async (worker, index) => {
    const held = await reserve(db, accountOf(worker, index), rate, limits);
    if (held.ok) await settle(db, held.reservationId, 30);
  });
  const baseline = await timed('baseline: 1-row update transaction', WORKERS, async (worker, index) => {
    await db
      .transaction()
      .execute((trx) => sql`update bench_counter set n = n + 1 where id = ${worker * ACCOUNTS_PER_WORKER + (index % ACCOUNTS_PER_WORKER)}`.execute(trx));
  });
  const pairs = await timed('reserve + settle (2 transactions)', WORKERS, async (worker, index) => {
    const held = await reserve(db, accountOf(worker, index), rate, limits);
    if (!held.ok) throw new Error(`reservation refused: ${held.reason}`);
    await settle(db, held.reservationId, 1 + (index % 300));
  });
  console.log(`reserve+settle pairs per second = ${(pairs / baseline).toFixed(2)} x the baseline transaction rate`);
} finally {
  await database.close();
}
