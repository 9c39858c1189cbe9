// The README's "From sign-up to a first call", run as written with the shell only (dialo): an operator made, a carrier
// trunk, rates from stdin, a number on Alice's account by her address, credit, a desk phone. The desk phone (sipp)
// registers with the password dialo printed once, calls out through the carrier, and answers the carrier's call to
// her number, all through real drachtio-server. The running signaling node is never told of the changes: it sees them
// at its cache poll (CACHE_POLL_MS), as a node in another container would.
import { describe, expect, it, vi } from 'vitest';
import { runDialo } from '../harness/app-process.ts';
import { signIn, testApi } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { onceClosed, UNIT } from '../harness/calls.ts';
import { preferredDialect } from '../harness/databases.ts';
import { done, KEYS } from '../harness/dialo-fixture.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeUdpPort } from '../harness/external.ts';
import { runSipp, sippBinary, startSipp } from '../harness/sipp.ts';

// The CLI needs a database another process can open while the signaling stack holds it: Postgres.
const missing = drachtioProvision.via === 'missing' || sippBinary === undefined || preferredDialect() !== 'postgres';

/** The carrier's address: the trunk's inbound range holds it and nothing else on this machine. */
const CARRIER = '127.0.0.2';
const ALICE_NUMBER = '+14155550100';

describe.skipIf(missing)("the README's operator sequence, with a desk phone over real drachtio-server", () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '3', CACHE_POLL_MS: '200' });

  it('provisions from the shell; the desk phone registers, calls the carrier, and answers its call to her number', async () => {
    const { database, stack } = suite;
    const env = { ...KEYS, DATABASE_URL: database.url ?? '', SIP_REALM: 'dialo.test' };
    const dialo = (...args: string[]) => runDialo(['--json', ...args], env);
    // Signed up and verified in the app: the operator and Alice.
    const app = await testApi(database);
    const [operator, alice] = await Promise.all([signIn(app, database.db), signIn(app, database.db)]).finally(() => app.close());

    expect(done(await dialo('accounts', 'make-operator', operator.email))).toEqual({ id: operator.accountId, role: 'operator' });
    const carrierPort = await freeUdpPort();
    const outbound = await startSipp({ scenario: 'uas-answer.xml', target: '', listenPort: carrierPort, timeoutSeconds: 60 });
    done(await dialo('trunks', 'add', '--name', 'carrier-a', '--outbound-uri', `sip:127.0.0.1:${carrierPort}`, '--inbound', `${CARRIER}/32`));
    const rates =
      'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from\n1415,SF,0.60,60,60,0,2000-01-01T00:00:00Z\n';
    expect(done(await runDialo(['--json', 'rates', 'import', '-'], env, { stdin: rates }))).toEqual({ imported: 1 });
    expect(done(await dialo('dids', 'add', ALICE_NUMBER, '--account', alice.email))).toEqual({ e164: ALICE_NUMBER, accountId: alice.accountId });
    done(await dialo('accounts', 'credit', alice.email, '5.00', '--reason', 'welcome credit'));
    const phone = done<{ username: string; password: string }>(await dialo('sip-credentials', 'add', alice.email, 'alice-desk'));

    // Registered from the port it then answers on. Until the node's next poll the username is unknown (403): retried.
    // The trunk and the number were written first, and the same poll reads them, so the carrier's call finds them.
    const phonePort = await freeUdpPort();
    const auth = `[authentication username=alice-desk password=${phone.password}]`;
    await vi.waitFor(
      async () => {
        const registered = await runSipp({
          scenario: 'uac-register-expect-200.xml',
          target: stack.target,
          fields: [`alice-desk;${auth};desk`],
          localPort: phonePort,
        });
        expect(registered.code, registered.log).toBe(0);
      },
      { timeout: 20_000, interval: 200 },
    );
    const deskPhone = await startSipp({ scenario: 'uas-answer.xml', target: '', listenPort: phonePort, timeoutSeconds: 60 });

    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [`alice-desk;${auth};+14155550199;1000`] });
    expect(call.code, call.log).toBe(0);
    expect((await outbound.done).code).toBe(0);
    const outboundRecord = await onceClosed(() =>
      database.db.selectFrom('cdrs').selectAll().where('account_id', '=', alice.accountId).where('direction', '=', 'outbound').executeTakeFirstOrThrow(),
    );
    expect(outboundRecord).toMatchObject({ phase: 'ended', sip_status: 200, cost: 0.6 * UNIT });

    const carrierCall = await runSipp({
      scenario: 'uac-carrier-call-expect-200.xml',
      target: stack.target,
      localAddress: CARRIER,
      fields: [`${ALICE_NUMBER};1000`],
    });
    expect(carrierCall.code, carrierCall.log).toBe(0);
    expect((await deskPhone.done).code).toBe(0);
    const inboundRecord = await onceClosed(() =>
      database.db.selectFrom('cdrs').selectAll().where('account_id', '=', alice.accountId).where('direction', '=', 'inbound').executeTakeFirstOrThrow(),
    );
    expect(inboundRecord).toMatchObject({ phase: 'ended', sip_status: 200 });

    // Removed, the phone is refused once the node has polled.
    done(await dialo('sip-credentials', 'remove', 'alice-desk'));
    await vi.waitFor(
      async () => {
        const refused = await runSipp({ scenario: 'uac-register-expect-403.xml', target: stack.target, fields: [`alice-desk;${auth};desk`] });
        expect(refused.code, refused.log).toBe(0);
      },
      { timeout: 20_000, interval: 200 },
    );
  });
});
