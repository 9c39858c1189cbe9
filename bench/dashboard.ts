/**
 * The operator dashboard's aggregates (core/operations/, GET /admin/dashboard/*) on a big history: `--rows` call
 * records over a year (one every ~31 s, of 1,000 accounts; a tenth cancelled, a tenth refused, a tenth failed at the
 * carrier, the rest answered with MOS) and `--ledger` ledger entries over the same year (a tenth top-ups, the rest
 * call charges), on Postgres (TEST_POSTGRES_URL). Each query is timed at the spans the routes allow (best of 3) and
 * its plan printed (EXPLAIN ANALYZE) for 30 days; the ledger's sums are timed again without 0049's index.
 * Run: `node --import tsx bench/dashboard.ts [--rows 1000000] [--ledger 500000]`.
 */
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { busiestDestinations } from '../core/operations/destinations.ts';
import { failureReasonsOf } from '../core/operations/failure-reasons.ts';
import { liveActivity } from '../core/operations/live-activity.ts';
import { moneyFlowOf } from '../core/operations/money-flow.ts';
import { mosDistribution } from '../core/operations/call-quality.ts';
import { trafficOf } from '../core/operations/traffic.ts';
import type { Bucket } from '../core/operations/dashboard-range.ts';
import type { Database } from '../db/schema.ts';
import { freshDatabase } from '../test/harness/databases.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, ledger: { type: 'string', default: '500000' } } });
const ROWS = Number(values.rows);
const LEDGER = Number(values.ledger);
const DAY_MS = 86_400_000;
const YEAR_SECONDS = 365 * 86_400;

async function best<T>(run: () => Promise<T>): Promise<number> {
  let ms = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await run();
    ms = Math.min(ms, performance.now() - started);
  }
  return ms;
}

const database = await freshDatabase('postgres');
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
// The same queries through a Kysely that keeps what it ran, to EXPLAIN them.
let captured: CompiledQuery[] = [];
const db = new Kysely<Database>({
  dialect: new PostgresDialect({ pool }),
  log: (event) => {
    if (event.level === 'query') captured.push(event.query);
  },
});
try {
  const seedStarted = performance.now();
  await sql`insert into accounts (email, status) select 'bench-dash-' || n || '@example.org', 'active' from generate_series(1, 1000) as n`.execute(db);
  await sql`create temporary table bench_accounts as select row_number() over (order by id) as k, id from accounts`.execute(db);
  await sql`
    insert into cdrs (sip_call_id, direction, account_id, phase, refusal_reason, sip_status, hangup_cause, started_at, answered_at, ended_at,
                      billable_seconds, cost, destination_country, mos, browser_mos, node_id)
    select 'bench-' || n, case when n % 7 = 0 then 'inbound' else 'outbound' end, a.id,
           (array['cancelled', 'refused', 'failed'])[n % 10 + 1], case when n % 10 = 1 then (array['no-credit', 'no-rate', 'destination-blocked'])[n % 3 + 1] end,
           case when n % 10 = 2 then (array[486, 503, 404])[n % 3 + 1] end, case when n % 10 = 2 then 'busy' end,
           t, null, t + interval '20 seconds', null, null, (array['GB', 'US', 'FR', 'DE', 'IN', 'BR'])[n % 6 + 1], null, null, 'bench'
    from generate_series(1, ${ROWS}::int) as series(n)
    cross join lateral (select now() - n * ${YEAR_SECONDS / ROWS}::float8 * interval '1 second' as t) as at
    join bench_accounts a on a.k = 1 + n % 1000
    where n % 10 < 3`.execute(db);
  await sql`
    insert into cdrs (sip_call_id, direction, account_id, phase, hangup_cause, started_at, answered_at, ended_at, billable_seconds, cost,
                      destination_country, mos, browser_mos, node_id)
    select 'bench-' || n, case when n % 7 = 0 then 'inbound' else 'outbound' end, a.id, 'ended', 'normal',
           t, t + interval '5 seconds', t + interval '5 seconds' + (n % 600) * interval '1 second', n % 600, (n % 600) * 10000,
           (array['GB', 'US', 'FR', 'DE', 'IN', 'BR'])[n % 6 + 1], 1 + (n % 41) / 10.0, case when n % 2 = 0 then 100 + n % 401 end, 'bench'
    from generate_series(1, ${ROWS}::int) as series(n)
    cross join lateral (select now() - n * ${YEAR_SECONDS / ROWS}::float8 * interval '1 second' as t) as at
    join bench_accounts a on a.k = 1 + n % 1000
    where n % 10 >= 3`.execute(db);
  // Fifty calls up now.
  await sql`update cdrs set ended_at = null where sip_call_id in (select 'bench-' || n from generate_series(3, 500, 10) as n)`.execute(db);
  await sql`
    insert into ledger_entries (account_id, kind, amount, reference, created_at)
    select a.id, case when n % 10 = 0 then 'top_up' else 'call_charge' end, case when n % 10 = 0 then 20000000 else -(n % 600) * 10000 end,
           'bench-' || n, now() - n * ${YEAR_SECONDS / LEDGER}::float8 * interval '1 second'
    from generate_series(1, ${LEDGER}::int) as series(n) join bench_accounts a on a.k = 1 + n % 1000`.execute(db);
  await sql`
    insert into registrations (account_id, username, contact, expires_at, transport, source_address, source_port, drachtio_server, call_id, cseq)
    select a.id, 'u' || n, 'sip:u' || n || '@192.0.2.1', now() + case when n % 2 = 0 then interval '1 hour' else interval '-1 hour' end,
           'wss', '192.0.2.1', n, 'wss/127.0.0.1:8443', 'c' || n, 1
    from generate_series(1, 5000) as series(n) join bench_accounts a on a.k = 1 + n % 1000`.execute(db);
  await sql`vacuum analyze`.execute(db);
  console.log(`seeded ${ROWS} calls, ${LEDGER} ledger entries, 5000 bindings in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`);

  const now = new Date();
  const spanOf = (days: number, bucket: Bucket) => ({ from: new Date(now.getTime() - days * DAY_MS), to: now, bucket });
  const queries: [string, (days: number, bucket: Bucket) => Promise<unknown>][] = [
    ['traffic', (days, bucket) => trafficOf(db, spanOf(days, bucket))],
    ['refusals', (days, bucket) => failureReasonsOf(db, spanOf(days, bucket))],
    ['spend (ledger)', (days, bucket) => moneyFlowOf(db, spanOf(days, bucket))],
    ['destinations', (days, bucket) => busiestDestinations(db, spanOf(days, bucket), 20)],
    ['quality', (days, bucket) => mosDistribution(db, spanOf(days, bucket))],
  ];
  const spans: [number, Bucket][] = [
    [1, 'hour'],
    [30, 'day'],
    [93, 'hour'],
    [366, 'day'],
  ];
  console.log(`| query | ${spans.map(([days, bucket]) => `${days} d by ${bucket} ms`).join(' | ')} |`);
  console.log(`|---|${spans.map(() => '---:').join('|')}|`);
  for (const [name, run] of queries) {
    const cells = [];
    for (const [days, bucket] of spans) cells.push((await best(() => run(days, bucket))).toFixed(0));
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  console.log(`| live (calls up, bindings) | ${(await best(() => liveActivity(db, new Date()))).toFixed(0)} (any span) |`);

  await sql`drop index ledger_entries_created_idx`.execute(db);
  await sql`analyze ledger_entries`.execute(db);
  const without = [];
  for (const [days, bucket] of spans) without.push((await best(() => moneyFlowOf(db, spanOf(days, bucket)))).toFixed(0));
  console.log(`| spend, without 0049's index | ${without.join(' | ')} |`);
  await sql`create index ledger_entries_created_idx on ledger_entries (created_at, kind) include (amount)`.execute(db);
  await sql`vacuum analyze ledger_entries`.execute(db);

  // The plans, 30 days by day (live: now).
  for (const [name, run] of [...queries, ['live', () => liveActivity(db, new Date())] as const]) {
    captured = [];
    await run(30, 'day');
    for (const query of captured) {
      const plan = await pool.query<{ 'QUERY PLAN': string }>(`explain (analyze, costs off, timing off) ${query.sql}`, [...query.parameters]);
      console.log(`\n-- ${name}\n${plan.rows.map((row) => row['QUERY PLAN']).join('\n')}`);
    }
  }
} finally {
  await db.destroy();
  await database.close();
}
