// An operator provisions from the shell only (dialo: a carrier trunk, a rate, credit, a desk phone), and the desk
// phone (sipp) registers with the password dialo printed once and calls the carrier through real drachtio-server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDialo, type DialoRun } from '../harness/app-process.ts';
import { TEST_MASTER_KEY } from '../harness/api.ts';
import { createAccount } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { onceClosed, UNIT } from '../harness/calls.ts';
import { preferredDialect } from '../harness/databases.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeUdpPort } from '../harness/external.ts';
import { runSipp, sippBinary, startSipp } from '../harness/sipp.ts';

// The CLI needs a database another process can open while the signaling stack holds it: Postgres.
const missing = drachtioProvision.via === 'missing' || sippBinary === undefined || preferredDialect() !== 'postgres';

function done<T>(run: DialoRun): T {
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

describe.skipIf(missing)('a desk phone provisioned by dialo, over real drachtio-server', () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '3' });

  it('registers with the printed password and calls a carrier, billed at the imported rate', async () => {
    const { database, stack } = suite;
    const env = { DATABASE_URL: database.url ?? '', PRIVACY_MASTER_KEY: TEST_MASTER_KEY, SIP_REALM: 'dialo.test', LOG_LEVEL: 'silent' };
    const dialo = (...args: string[]) => runDialo(['--json', ...args], env);
    const dir = await mkdtemp(join(tmpdir(), 'dialo-desk-'));
    try {
      const accountId = await createAccount(database.db);
      const port = await freeUdpPort();
      const carrier = await startSipp({ scenario: 'uas-answer.xml', target: '', listenPort: port, timeoutSeconds: 30 });
      done(await dialo('trunks', 'add', '--name', 'desk-carrier', '--outbound-uri', `sip:127.0.0.1:${port}`));
      const rates = join(dir, 'rates.csv');
      await writeFile(
        rates,
        'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from\n1415,SF,0.60,60,60,0,2000-01-01T00:00:00Z\n',
      );
      expect(done(await dialo('rates', 'import', rates))).toEqual({ imported: 1 });
      done(await dialo('accounts', 'credit', accountId, '10', '--reason', 'first credit'));
      const phone = done<{ username: string; password: string }>(await dialo('sip-credentials', 'add', accountId, 'lobby-phone'));
      // The node sees the changes within a poll (CACHE_POLL_MS); the in-process stack can be told at once.
      await stack.signaling.refreshCaches();

      const auth = `[authentication username=lobby-phone password=${phone.password}]`;
      const registered = await runSipp({ scenario: 'uac-register-expect-200.xml', target: stack.target, fields: [`lobby-phone;${auth};desk`] });
      expect(registered.code, registered.log).toBe(0);
      const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [`lobby-phone;${auth};+14155550100;1000`] });
      expect(call.code, call.log).toBe(0);
      expect((await carrier.done).code).toBe(0);

      const cdr = await onceClosed(() =>
        database.db.selectFrom('cdrs').selectAll().where('account_id', '=', accountId).orderBy('started_at', 'desc').executeTakeFirstOrThrow(),
      );
      expect(cdr).toMatchObject({ direction: 'outbound', phase: 'ended', sip_status: 200, cost: 0.6 * UNIT });

      // Removed, the phone is refused at once (the cache is told; a node would see it within a poll).
      done(await dialo('sip-credentials', 'remove', 'lobby-phone'));
      await stack.signaling.refreshCaches();
      const refused = await runSipp({ scenario: 'uac-register-expect-403.xml', target: stack.target, fields: [`lobby-phone;${auth};desk`] });
      expect(refused.code, refused.log).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
