import { parseArgs } from 'node:util';
import { freshDatabase } from '../test/harness/databases.ts';
import { startSignalingStack } from '../test/harness/signaling.ts';
import { runSipp } from '../test/harness/sipp.ts';
import { createSipUsers, load, loadArgs, quantile, responseTimes, statCounter } from './sip-load.ts';
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rates: { type: 'string', default: '20,200' }, args: { type: 'string', default: '' }, env: { type: 'string', default: '' } } });
const database = await freshDatabase('postgres');
const env = Object.fromEntries(values.env.split(',').filter(Boolean).map((kv) => kv.split('=')));
const stack = await startSignalingStack(database, { SIP_REALM: 'bench', SIP_AUTH_MAX_FAILURES: '1000000', LOG_LEVEL: 'warn', ...env });
const accounts = await createSipUsers(database.db, 2000, 'bench');
const fields = accounts.map((_, i) => `u${i};[authentication username=u${i} password=secret];bench`);
for (const rate of values.rates.split(',').map(Number)) {
  for (const scenario of ['uac-options-expect-200.xml', 'zz-probe-register.xml']) {
    const l0 = load();
    const run = await runSipp({ scenario, target: stack.target, fields: scenario.includes('register') ? fields : undefined, calls: rate * Number(values.seconds), timeoutSeconds: 60, extraArgs: [...loadArgs(rate), ...values.args.split(' ').filter(Boolean)] });
    const all = responseTimes(run); const c = responseTimes(run, 'challenge'); const a = responseTimes(run, 'auth');
    console.log(rate, scenario, 'ok', statCounter(run, 'SuccessfulCall(C)'), 'failed', statCounter(run, 'FailedCall(C)'), 'all p50/p99', quantile(all, 0.5), quantile(all, 0.99), 'challenge', quantile(c, 0.5), quantile(c, 0.99), 'auth', quantile(a, 0.5), quantile(a, 0.99), 'retrans', statCounter(run, 'Retransmissions(C)'), 'load', l0, load());
  }
}
await stack.stop(); await database.close(); process.exit(0);
