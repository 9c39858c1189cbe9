/**
 * REGISTER-with-digest-auth throughput through drachtio-server + the signaling role + Postgres, driven by sipp at
 * rising rates until failures appear. Reference in the same run, interleaved rate by rate: the same sipp load on a
 * second drachtio-server whose app is bench/in-memory-registrar.ts (digest against a Map, no database), so the
 * ratio shows what Dialo's credential lookup, location store and steps cost on top of drachtio-server itself.
 *
 * The app's pool is instrumented (bench/sip-load.ts): statements per REGISTER exchange and queries waiting for a
 * connection, which is where the latency goes (bench/results.md).
 *
 *   npx tsx bench/register.ts [--seconds 10] [--rates 100,200,400,800,1200,1600] [--reference false]
 * `--reference false` loads Dialo alone (for `node --cpu-prof --import tsx bench/register.ts ...`).
 * Needs `drachtio` and `sipp` on PATH and a Postgres server (TEST_POSTGRES_URL).
 */
import { parseArgs } from 'node:util';
import { freshDatabase } from '../test/harness/databases.ts';
import { startDrachtio } from '../test/harness/drachtio.ts';
import { startSignalingStack } from '../test/harness/signaling.ts';
import { runSipp, type SippRun } from '../test/harness/sipp.ts';
import { startInMemoryRegistrar } from './in-memory-registrar.ts';
import { createSipUsers, instrumentedPostgres, load, loadArgs, quantile, responseTimes, statCounter } from './sip-load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rates: { type: 'string', default: '100,200,400,800,1200,1600,2000' },
    users: { type: 'string', default: '2000' },
    reference: { type: 'string', default: 'true' },
  },
});
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
const users = Number(values.users);
const REALM = 'bench';

const database = await freshDatabase('postgres');
const instrumented = instrumentedPostgres(database.url!, 10);
const stack = await startSignalingStack({ ...database, db: instrumented.db }, { SIP_REALM: REALM, SIP_AUTH_MAX_FAILURES: '1000000', LOG_LEVEL: 'warn' });
const referenceDrachtio = values.reference === 'false' ? undefined : await startDrachtio();
const reference = referenceDrachtio && (await startInMemoryRegistrar(referenceDrachtio.admin, REALM, users));

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

async function measure(sipPort: number, rate: number, calls = rate * seconds): Promise<Result> {
  const started = performance.now();
  const run = await runSipp({
    scenario: 'uac-register-expect-200.xml',
    target: `127.0.0.1:${sipPort}`,
    fields,
    calls,
    timeoutSeconds: seconds * 3 + 30,
    extraArgs: loadArgs(rate),
  });
  return summarise(rate, run, (performance.now() - started) / 1000);
}

// Every user's first REGISTER creates its binding (the full transaction); a phone's later ones renew it. Measured
// steps are the renewals, as a registrar spends its life: one pass over the users first, not measured.
await measure(stack.drachtio.sipPort, 200, users);

const NONE: Result = { rate: 0, ok: 0, failed: 0, achieved: 0, p50: NaN, p99: NaN };
const rows: string[] = [];
for (const rate of rates) {
  const loadBefore = load();
  const baseline = referenceDrachtio === undefined ? NONE : await measure(referenceDrachtio.sipPort, rate);
  instrumented.take();
  const register = await measure(stack.drachtio.sipPort, rate);
  const pool = instrumented.take();
  const ratio = baseline.achieved === 0 ? NaN : register.achieved / baseline.achieved;
  const row =
    `| ${rate} | ${register.achieved} | ${register.failed} | ${register.p50} | ${register.p99} | ${baseline.achieved} | ${baseline.failed} | ${baseline.p50} | ${baseline.p99} | ${ratio.toFixed(2)} ` +
    `| ${(pool.statements / Math.max(1, register.ok)).toFixed(1)} | ${pool.statementP50.toFixed(1)} / ${pool.statementP99.toFixed(1)} | ${pool.waitingMean.toFixed(1)} / ${pool.waitingMax} | ${loadBefore} / ${load()} |`;
  rows.push(row);
  console.log(row);
  if (register.failed > register.ok * 0.01 && baseline.failed > baseline.ok * 0.01) break;
}

console.log(
  '\n| offered/s | Dialo ok/s | failed | p50 ms | p99 ms | reference ok/s | failed | p50 ms | p99 ms | ratio | statements/REGISTER | statement p50 / p99 ms | pool waiting mean / max | load 1m before / after |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

reference?.stop();
await referenceDrachtio?.stop();
await stack.stop();
await instrumented.close();
await database.close();
process.exit(0);
