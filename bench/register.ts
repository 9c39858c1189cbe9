/**
 * REGISTER-with-digest-auth throughput through drachtio-server + the signaling role + Postgres, driven by sipp at
 * rising rates until failures appear. Baseline in the same run: OPTIONS at the same rate through the same drachtio
 * and app (no auth, no database), so the ratio shows what auth + the location store cost.
 *
 *   npx tsx bench/register.ts [--seconds 10] [--rates 100,200,400,800,1200,1600]
 * Needs `drachtio` and `sipp` on PATH and a Postgres server (TEST_POSTGRES_URL).
 */
import { parseArgs } from 'node:util';
import { ha1 } from '../core/accounts/sip-credentials.ts';
import { freshDatabase } from '../test/harness/databases.ts';
import { startSignalingStack } from '../test/harness/signaling.ts';
import { runSipp, type SippRun } from '../test/harness/sipp.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rates: { type: 'string', default: '100,200,400,800,1200,1600,2000' }, users: { type: 'string', default: '2000' } } });
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
const users = Number(values.users);
const REALM = 'bench';

const database = await freshDatabase('postgres');
const stack = await startSignalingStack(database, { SIP_REALM: REALM, SIP_AUTH_MAX_FAILURES: '1000000', LOG_LEVEL: 'warn' });
const drachtio = stack.drachtio;

const accounts = await database.db
  .insertInto('accounts')
  .values(Array.from({ length: users }, (_, i) => ({ email: `bench${i}@example.org`, status: 'active' as const })))
  .returning('id')
  .execute();
await database.db
  .insertInto('sip_credentials')
  .values(accounts.map(({ id }, i) => ({ account_id: id, username: `u${i}`, realm: REALM, ha1_md5: ha1('MD5', `u${i}`, REALM, 'secret'), ha1_sha256: ha1('SHA-256', `u${i}`, REALM, 'secret') })))
  .execute();
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
  const stat = (run.csv.stat ?? '').trim().split('\n');
  const header = (stat[0] ?? '').split(';');
  const last = (stat.at(-1) ?? '').split(';');
  const column = (name: string) => Number(last[header.indexOf(name)] ?? 0);
  const times = (run.csv.rtt ?? '')
    .split('\n')
    .slice(1)
    .map((line) => Number(line.split(';')[1]))
    .filter((value) => Number.isFinite(value))
    .sort((a, b) => a - b);
  const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  const ok = column('SuccessfulCall(C)');
  return { rate, ok, failed: column('FailedCall(C)'), achieved: Math.round(ok / wallSeconds), p50: pick(0.5), p99: pick(0.99) };
}

async function measure(scenario: string, rate: number): Promise<Result> {
  const started = performance.now();
  const run = await runSipp({
    scenario,
    target: `127.0.0.1:${drachtio.sipPort}`,
    fields: scenario.includes('register') ? fields : undefined,
    calls: rate * seconds,
    timeoutSeconds: seconds * 3 + 30,
    extraArgs: ['-r', String(rate), '-l', String(rate * 5), '-trace_stat', '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-recv_timeout', '5000'],
  });
  return summarise(rate, run, (performance.now() - started) / 1000);
}

const rows: string[] = [];
for (const rate of rates) {
  const baseline = await measure('uac-options-expect-200.xml', rate);
  const register = await measure('uac-register-expect-200.xml', rate);
  const ratio = baseline.achieved === 0 ? NaN : register.achieved / baseline.achieved;
  const row = `| ${rate} | ${register.achieved} | ${register.failed} | ${register.p50} | ${register.p99} | ${baseline.achieved} | ${baseline.failed} | ${baseline.p99} | ${ratio.toFixed(2)} |`;
  rows.push(row);
  console.log(row);
  if (register.failed > register.ok * 0.01) break;
}

console.log('\n| offered/s | REGISTER ok/s | failed | p50 ms | p99 ms | OPTIONS ok/s | failed | p99 ms | ratio |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

await stack.stop();
await database.close();
process.exit(0);
