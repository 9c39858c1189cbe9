/**
 * REGISTER-with-digest-auth throughput through drachtio-server + the signaling role + Postgres, driven by sipp at
 * rising rates until failures appear. Baseline in the same run: OPTIONS at the same rate through the same drachtio
 * and app (no auth, no database), so the ratio shows what auth + the location store cost.
 *
 * The app's pool is instrumented (bench/sip-load.ts): statements per REGISTER exchange and queries waiting for a
 * connection, which is where the latency goes (bench/results.md).
 *
 *   npx tsx bench/register.ts [--seconds 10] [--rates 100,200,400,800,1200,1600]
 * Needs `drachtio` and `sipp` on PATH and a Postgres server (TEST_POSTGRES_URL).
 */
import { parseArgs } from 'node:util';
import { freshDatabase } from '../test/harness/databases.ts';
import { startSignalingStack } from '../test/harness/signaling.ts';
import { runSipp, type SippRun } from '../test/harness/sipp.ts';
import { createSipUsers, instrumentedPostgres, load, loadArgs, quantile, responseTimes, statCounter } from './sip-load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rates: { type: 'string', default: '100,200,400,800,1200,1600,2000' },
    users: { type: 'string', default: '2000' },
  },
});
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
const users = Number(values.users);
const REALM = 'bench';

const database = await freshDatabase('postgres');
const instrumented = instrumentedPostgres(database.url!, 10);
const stack = await startSignalingStack({ ...database, db: instrumented.db }, { SIP_REALM: REALM, SIP_AUTH_MAX_FAILURES: '1000000', LOG_LEVEL: 'warn' });
const drachtio = stack.drachtio;

const accounts = await createSipUsers(instrumented.db, users, REALM);
const fields = accounts.map((_, i) => `u${i};[authentication username=u${i} password=secret];bench`);

interface Result {
  rate: number;
  ok: number;
  failed: number;
  achieved: number;
  p50: number;
  p99: number;
}

function summarise(rate: number, run: SippRun, wallSeconds: number): Result {
  const times = responseTimes(run);
  const ok = statCounter(run, 'SuccessfulCall(C)');
  return { rate, ok, failed: statCounter(run, 'FailedCall(C)'), achieved: Math.round(ok / wallSeconds), p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

async function measure(scenario: string, rate: number): Promise<Result> {
  const started = performance.now();
  const run = await runSipp({
    scenario,
    target: `127.0.0.1:${drachtio.sipPort}`,
    fields: scenario.includes('register') ? fields : undefined,
    calls: rate * seconds,
    timeoutSeconds: seconds * 3 + 30,
    extraArgs: loadArgs(rate),
  });
  return summarise(rate, run, (performance.now() - started) / 1000);
}

const rows: string[] = [];
for (const rate of rates) {
  const loadBefore = load();
  const baseline = await measure('uac-options-expect-200.xml', rate);
  instrumented.take();
  const register = await measure('uac-register-expect-200.xml', rate);
  const pool = instrumented.take();
  const ratio = baseline.achieved === 0 ? NaN : register.achieved / baseline.achieved;
  const row =
    `| ${rate} | ${register.achieved} | ${register.failed} | ${register.p50} | ${register.p99} | ${baseline.achieved} | ${baseline.failed} | ${baseline.p99} | ${ratio.toFixed(2)} ` +
    `| ${(pool.statements / Math.max(1, register.ok)).toFixed(1)} | ${pool.statementP50.toFixed(1)} / ${pool.statementP99.toFixed(1)} | ${pool.waitingMean.toFixed(1)} / ${pool.waitingMax} | ${loadBefore} / ${load()} |`;
  rows.push(row);
  console.log(row);
  if (register.failed > register.ok * 0.01) break;
}

console.log(
  '\n| offered/s | REGISTER ok/s | failed | p50 ms | p99 ms | OPTIONS ok/s | failed | p99 ms | ratio | statements/REGISTER | statement p50 / p99 ms | pool waiting mean / max | load 1m before / after |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

await stack.stop();
await instrumented.close();
await database.close();
process.exit(0);
