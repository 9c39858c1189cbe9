/**
 * The usage summary (GET /calls/usage, core/calls/usage.ts) on a big table: the database's `group by` over 0021's
 * (account_id, started_at) index, and over a covering one that also carries the columns summed (read from the index
 * alone), to see whether the summary needs one of its own. One account with `--mine` calls, one
 * every 2.5 minutes back from now, among `--rows` calls of 1,000 other accounts, on Postgres (TEST_POSTGRES_URL).
 * Against the baseline in the same run: the same figures summed in Node from the account's rows (what the summary
 * must not do). Best of 3 each; the plan of the summary's query (as migrated) is printed.
 * Run: `node --import tsx bench/usage-summary.ts [--rows 1000000] [--mine 200000]`.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { usageSummary } from '../core/calls/usage.ts';
import { freshDatabase } from '../test/harness/databases.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, mine: { type: 'string', default: '200000' } } });
const ROWS = Number(values.rows);
const MINE = Number(values.mine);
const DAY_MS = 86_400_000;

async function best<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let ms = Infinity;
  let result: T | undefined;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    result = await run();
    ms = Math.min(ms, performance.now() - started);
  }
  return { ms, result: result as T };
}

const database = await freshDatabase('postgres');
try {
  const { db } = database;
  await sql`insert into accounts (email, status) select 'bench-usage-' || n || '@example.org', 'active' from generate_series(0, 1000) as n`.execute(db);
  const mine = await db.selectFrom('accounts').select('id').where('email', '=', 'bench-usage-0@example.org').executeTakeFirstOrThrow();
  // Numbers stay null: the summary never reads them. Countries cycle through five; a tenth of the calls unanswered.
  const insert = (count: number, account: string) => sql`
    insert into cdrs (sip_call_id, direction, account_id, phase, started_at, answered_at, ended_at, billable_seconds, cost,
                      destination_country, node_id)
    select 'bench-' || gen_random_uuid(), 'outbound', ${account}::uuid, case when n % 10 = 0 then 'cancelled' else 'ended' end,
           now() - n * interval '150 seconds',
           case when n % 10 = 0 then null else now() - n * interval '150 seconds' + interval '5 seconds' end,
           now() - n * interval '150 seconds' + interval '5 seconds' + (n % 600) * interval '1 second',
           case when n % 10 = 0 then null else n % 600 end, case when n % 10 = 0 then null else (n % 600) * 10000 end,
           (array['GB', 'US', 'FR', 'DE', 'IN'])[1 + n % 5], 'bench'
    from generate_series(1, ${count}::int) as series(n)`;
  await insert(MINE, mine.id).execute(db);
  await sql`
    insert into cdrs (sip_call_id, direction, account_id, phase, started_at, answered_at, ended_at, billable_seconds, cost, destination_country, node_id)
    select 'bench-o-' || n, 'outbound', (select id from accounts where email = 'bench-usage-' || (1 + n % 1000) || '@example.org'), 'ended',
           now() - n * interval '30 seconds', now() - n * interval '30 seconds', now() - n * interval '30 seconds' + interval '60 seconds',
           60, 600000, 'GB', 'bench'
    from generate_series(1, ${ROWS - MINE}::int) as series(n)`.execute(db);
  await sql`vacuum analyze cdrs`.execute(db);

  const now = new Date();
  const plan = await sql<{ 'QUERY PLAN': string }>`
    explain select to_char(started_at at time zone 'UTC', 'YYYY-MM-DD'), destination_country, count(*), sum(cost) from cdrs
    where account_id = ${mine.id} and started_at >= ${new Date(now.getTime() - 30 * DAY_MS)} and started_at < ${now}
    group by grouping sets ((to_char(started_at at time zone 'UTC', 'YYYY-MM-DD')), (destination_country))`.execute(db);
  // The plan as migrated (0021's index).
  console.log(plan.rows.map((row) => row['QUERY PLAN']).join('\n'));
  console.log(`${ROWS} calls, ${MINE} of them the account's`);
  console.log('| index | span | calls summed | summary (SQL group by) ms | rows into Node, summed there ms | same figures |');
  console.log('|---|---|---|---|---|---|');
  // As migrated: 0021's index of (account_id, started_at); then one that also carries the columns summed (not adopted).
  for (const [index, days] of [
    ['0021', 30],
    ['0021', 366],
    ['covering', 30],
    ['covering', 366],
  ] as const) {
    if (index === 'covering' && days === 30) {
      await sql`create index bench_covering on cdrs (account_id, started_at) include (answered_at, ended_at, cost, destination_country)`.execute(db);
      await sql`vacuum analyze cdrs`.execute(db);
    }
    const to = new Date();
    const from = new Date(to.getTime() - days * DAY_MS);
    const summary = await best(() => usageSummary(db, mine.id, { from, to }));
    const inNode = await best(async () => {
      const rows = await db
        .selectFrom('cdrs')
        .select(['answered_at', 'ended_at', 'cost'])
        .where('account_id', '=', mine.id)
        .where('started_at', '>=', from)
        .where('started_at', '<', to)
        .execute();
      let seconds = 0;
      let spend = 0;
      for (const row of rows) {
        if (row.answered_at !== null && row.ended_at !== null) seconds += Math.ceil((row.ended_at.getTime() - row.answered_at.getTime()) / 1000);
        spend += row.cost ?? 0;
      }
      return { calls: rows.length, seconds, spend };
    });
    const same =
      summary.result.total.calls === inNode.result.calls &&
      summary.result.total.seconds === inNode.result.seconds &&
      summary.result.total.spend === inNode.result.spend;
    console.log(`| ${index} | ${days} days | ${summary.result.total.calls} | ${summary.ms.toFixed(0)} | ${inNode.ms.toFixed(0)} | ${same} |`);
  }
} finally {
  await database.close();
}
