/**
 * Call setups per second through drachtio-server + the signaling role, with everything a billed call does on
 * Postgres (digest check, CDR row, rate lookup, credit reservation, trunk dial, answer, settlement), at rising rates
 * until failures appear. sipp is the caller (registered devices) and a sipp UAS the carrier. Baseline in the same
 * run: the same sipp caller calling a carrier sipp directly (no drachtio, no app), so the difference in the INVITE-to-200
 * time is what drachtio + the app add.
 *
 * A call: INVITE -> 407 -> ACK -> INVITE with credentials -> 100/180/200 -> ACK -> BYE -> 200 (no talk time).
 * Response times: "challenge" = first INVITE to the 407; "invite" = authenticated INVITE to its 200 (baseline:
 * INVITE to 200).
 *
 * The app's pool is instrumented (bench/sip-load.ts): statements per call, their latency, and how many queries
 * waited for one of the pool's connections (the same size as the app's, 10, unless --pool says otherwise).
 *
 * With --media, FreeSWITCH (infra/freeswitch) is the app's media server and each rate is also run with the caller
 * offering WebRTC SDP (what a browser sends): those calls go through a media server (two channels, a re-INVITE and a
 * bridge per call), so the difference to the plain-RTP run is what the media server adds to call setup.
 *
 *   npx tsx bench/calls.ts [--seconds 10] [--rates 25,50,100,200,400] [--users 500] [--pool 10] [--media]
 * Needs `drachtio` and `sipp` on PATH and a Postgres server (TEST_POSTGRES_URL); with --media, `freeswitch`.
 */
import { parseArgs } from 'node:util';
import { appendEntry } from '../core/billing/ledger.ts';
import { createRate, toRateInput } from '../core/billing/rates.ts';
import { micros } from '../core/money.ts';
import { freshDatabase } from '../test/harness/databases.ts';
import { freeUdpPort } from '../test/harness/external.ts';
import { OPEN_ABUSE_LIMITS } from '../test/harness/calls.ts';
import { startSignalingStack } from '../test/harness/signaling.ts';
import { derivedScenario, runSipp, startSipp, type SippRun } from '../test/harness/sipp.ts';
import { WEBRTC_OFFER } from '../test/harness/browser-tab.ts';
import { startFreeSwitch } from '../test/harness/freeswitch.ts';
import { createSipUsers, instrumentedPostgres, load, loadArgs, quantile, responseTimes, statCounter } from './sip-load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rates: { type: 'string', default: '25,50,100,200,400' },
    users: { type: 'string', default: '500' },
    pool: { type: 'string', default: '10' },
    media: { type: 'boolean', default: false },
    // After each rate, which statements a call ran and how often (per offered call).
    statements: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
const users = Number(values.users);
const REALM = 'bench';

const freeswitch = values.media ? await startFreeSwitch() : undefined;
const database = await freshDatabase('postgres');
const instrumented = instrumentedPostgres(database.url!, Number(values.pool));
const { db } = instrumented;
const stack = await startSignalingStack(
  { ...database, db },
  {
    SIP_REALM: REALM,
    SIP_AUTH_MAX_FAILURES: '1000000',
    LOG_LEVEL: 'warn',
    BILLING_MAX_CONCURRENT_CALLS: '1000',
    CALLER_ID_DEFAULT: '+14155550199',
    TRUNK_TIMEOUT_SECONDS: '10',
    ...OPEN_ABUSE_LIMITS,
    ...(freeswitch === undefined ? {} : { MEDIA_SERVERS: `127.0.0.1:${freeswitch.esl.port}`, MEDIA_SERVER_SECRET: freeswitch.esl.secret }),
  },
);
if (stack.media !== undefined && !(await stack.media.pool.ready(10_000))) throw new Error('FreeSWITCH not connected');
await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
const accounts = await createSipUsers(db, users, REALM);
for (const accountId of accounts) await appendEntry(db, { accountId, kind: 'top_up', amount: micros(1_000_000_000_000), reference: `bench-${accountId}` });
const trunk = await db
  .insertInto('trunks')
  .values({ name: 'bench-carrier', priority: 1, outbound_uri: 'sip:127.0.0.1:9' })
  .returning('id')
  .executeTakeFirstOrThrow();

// Every device registers once from the port the calls then come from (only registered devices may call).
const devicePort = await freeUdpPort();
const registering = await startSipp({
  scenario: 'uac-register-expect-200.xml',
  target: stack.target,
  listenPort: devicePort,
  fields: accounts.map((_, i) => `u${i};[authentication username=u${i} password=secret];bench`),
  calls: users,
  timeoutSeconds: 120,
  extraArgs: ['-r', '100'],
});
const registered = await registering.done;
if (registered.code !== 0) throw new Error(`registration failed:\n${registered.log}`);
const callFields = accounts.map((_, i) => `u${i};[authentication username=u${i} password=secret];+14155550100;0`);

interface Result {
  readonly ok: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly invite: readonly number[];
  readonly challenge: readonly number[];
}

function summarise(run: SippRun, wallSeconds: number): Result {
  const ok = statCounter(run, 'SuccessfulCall(C)');
  return {
    ok,
    failed: statCounter(run, 'FailedCall(C)'),
    perSecond: Math.round(ok / wallSeconds),
    invite: responseTimes(run, 'invite'),
    challenge: responseTimes(run, 'challenge'),
  };
}

/** Runs `calls` calls at `rate` from a caller scenario against a fresh carrier sipp; the carrier is stopped after. */
async function measure(rate: number, caller: (carrierPort: number) => Promise<SippRun>): Promise<Result> {
  const carrierPort = await freeUdpPort();
  const carrier = await startSipp({ scenario: 'uas-answer.xml', target: '', listenPort: carrierPort, calls: rate * seconds, timeoutSeconds: seconds * 3 + 60 });
  const started = performance.now();
  const run = await caller(carrierPort);
  const wall = (performance.now() - started) / 1000;
  carrier.stop();
  await carrier.done;
  return summarise(run, wall);
}

/** The registered caller's scenario with a browser's WebRTC offer in place of its plain-RTP one. */
const webrtcOffer = (xml: string) =>
  xml.replace(
    /^ *v=0\n(?: *[a-z]=.*\n)*? *a=rtpmap:0 PCMU\/8000\n/gm,
    `${WEBRTC_OFFER.trimEnd()
      .split('\r\n')
      .map((line) => `      ${line}`)
      .join('\n')}\n`,
  );
const webrtcCaller = freeswitch === undefined ? undefined : await derivedScenario('uac-call-registered-expect-200.xml', webrtcOffer);

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const rows: string[] = [];
const mediaRows: string[] = [];
for (const rate of rates) {
  const calls = rate * seconds;
  const loadBefore = load();
  const direct = await measure(rate, (port) =>
    runSipp({ scenario: 'uac-call-direct-expect-200.xml', target: `127.0.0.1:${port}`, calls, timeoutSeconds: seconds * 3 + 60, extraArgs: loadArgs(rate) }),
  );
  const cdrsBefore = await db
    .selectFrom('cdrs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const through = await measure(rate, async (port) => {
    await db
      .updateTable('trunks')
      .set({ outbound_uri: `sip:127.0.0.1:${port}` })
      .where('id', '=', trunk.id)
      .execute();
    // The node would see the new carrier port within a poll (CACHE_POLL_MS); the run starts with it seen.
    await stack.signaling.refreshCaches();
    instrumented.take();
    const run = await startSipp({
      scenario: 'uac-call-registered-expect-200.xml',
      target: stack.target,
      listenPort: devicePort,
      fields: callFields,
      calls,
      timeoutSeconds: seconds * 3 + 60,
      extraArgs: loadArgs(rate),
    });
    return run.done;
  });
  const pool = instrumented.take();
  if (values.statements) {
    for (const [text, count] of pool.byText) console.log(`  ${(count / calls).toFixed(2).padStart(6)}  ${text}`);
  }
  if (webrtcCaller !== undefined) {
    const viaMedia = await measure(rate, async (port) => {
      await db
        .updateTable('trunks')
        .set({ outbound_uri: `sip:127.0.0.1:${port}` })
        .where('id', '=', trunk.id)
        .execute();
      await stack.signaling.refreshCaches();
      const run = await startSipp({
        scenario: webrtcCaller,
        target: stack.target,
        listenPort: devicePort,
        fields: callFields,
        calls,
        timeoutSeconds: seconds * 3 + 60,
        extraArgs: loadArgs(rate),
      });
      return run.done;
    });
    instrumented.take();
    const mediaRow =
      `| ${rate} | ${viaMedia.perSecond} | ${viaMedia.failed} | ${ms(quantile(viaMedia.invite, 0.5))} | ${ms(quantile(viaMedia.invite, 0.99))} ` +
      `| ${ms(quantile(through.invite, 0.5))} | ${ms(quantile(through.invite, 0.99))} ` +
      `| ${ms(quantile(viaMedia.invite, 0.5) - quantile(through.invite, 0.5))} | ${ms(quantile(viaMedia.invite, 0.99) - quantile(through.invite, 0.99))} | ${load()} |`;
    mediaRows.push(mediaRow);
    console.log(mediaRow);
  }
  // Every call the app answered must be recorded, ended and settled: wait (up to 60 s) until no hold is left.
  const settling = performance.now();
  let active: number;
  for (;;) {
    const row = await db
      .selectFrom('reservations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    active = Number(row.n);
    if (active === 0 || performance.now() - settling > 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const settleLag = ((performance.now() - settling) / 1000).toFixed(1);
  const cdrs = await db
    .selectFrom('cdrs')
    .select(['phase', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('phase')
    .execute();
  const total = cdrs.reduce((sum, row) => sum + Number(row.n), 0) - Number(cdrsBefore.n);
  const row =
    `| ${rate} | ${through.perSecond} | ${through.failed} | ${ms(quantile(through.invite, 0.5))} | ${ms(quantile(through.invite, 0.99))} ` +
    `| ${ms(quantile(through.challenge, 0.5))} | ${direct.perSecond} | ${direct.failed} | ${ms(quantile(direct.invite, 0.5))} | ${ms(quantile(direct.invite, 0.99))} ` +
    `| ${ms(quantile(through.invite, 0.5) - quantile(direct.invite, 0.5))} | ${ms(quantile(through.invite, 0.99) - quantile(direct.invite, 0.99))} ` +
    `| ${total} | ${active} (${settleLag} s) | ${(pool.statements / calls).toFixed(1)} | ${ms(pool.statementP50)} / ${ms(pool.statementP99)} ` +
    `| ${pool.waitingMean.toFixed(1)} / ${pool.waitingMax} | ${loadBefore} / ${load()} |`;
  rows.push(row);
  console.log(row, JSON.stringify(Object.fromEntries(cdrs.map((r) => [r.phase, Number(r.n)]))));
  if (through.failed > through.ok * 0.01) break;
}

console.log(
  '\n| offered/s | app ok/s | failed | INVITE→200 p50 ms | p99 ms | INVITE→407 p50 ms | direct ok/s | failed | direct p50 ms | p99 ms | added p50 ms | added p99 ms | CDRs | holds left (wait) | statements/call | statement p50 / p99 ms | pool waiting mean / max | load 1m before / after |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

if (mediaRows.length > 0) {
  console.log(
    '\n| offered/s | via FreeSWITCH ok/s | failed | INVITE→200 p50 ms | p99 ms | plain RTP p50 ms | p99 ms | media server adds p50 ms | p99 ms | load 1m after |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of mediaRows) console.log(row);
}

await stack.stop();
await freeswitch?.stop();
await instrumented.close();
await database.close();
process.exit(0);
