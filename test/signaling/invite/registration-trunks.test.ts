// Registration trunks over real drachtio-server: sipp as the carrier's registrar (digest challenge, a short grant, the
// refresh; or 403), as the carrier calling our registered contact, and as the DID owner's phone.
import { createSocket } from 'node:dgram';
import { describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import type { RegistrationState } from '../../../core/calls/trunk-registration.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { freeUdpPort } from '../../harness/external.ts';
import { inboundFixtures } from '../../harness/inbound-calls.ts';
import { derivedScenario, runSipp, sippBinary, startSipp } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

/** The carrier's proxy calling our contact: an address on no trunk's list, so only the contact says whose call it is. */
const CARRIER_PROXY = '127.0.0.6';

describe.skipIf(missing)('registration trunks over real drachtio-server', () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '60', TRUNK_REGISTER_RETRY_MIN_MS: '200', TRUNK_REGISTER_RETRY_MAX_MS: '60000' }, async (db) => {
    await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
  });
  const refresh = refreshOf(() => suite.stack);
  const { caller, carrier, finishedCdr } = callFixtures(() => suite.database, refresh);
  const { did, phone, finishedCallTo } = inboundFixtures(() => suite.database);

  /** A trunk registering with a registrar (sipp) on `port`; optionally also taking outbound calls at `outboundUri`. */
  async function registrationTrunk(name: string, port: number, options: { priority?: number; outboundUri?: string } = {}) {
    const trunk = await suite.database.db
      .insertInto('trunks')
      .values({
        name,
        priority: options.priority ?? 1,
        outbound_uri: options.outboundUri ?? null,
        register_uri: `sip:127.0.0.1:${port}`,
        register_username: 'reguser',
        register_password: 'regpass',
        register_expires: 600,
        register_did_source: 'to',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await refresh();
    return trunk.id;
  }

  const becomes = (trunkId: number, check: (state: RegistrationState | undefined) => boolean, what: string) =>
    vi.waitFor(
      () => {
        const state = suite.stack.signaling.trunkRegistrations.get(trunkId)?.state;
        if (!check(state)) throw new Error(`trunk ${trunkId} registration is ${JSON.stringify(state)}, not ${what}`);
        return state;
      },
      { timeout: 20_000, interval: 50 },
    );
  const metric = (name: string) => suite.stack.metrics.registry.getSingleMetricAsString(name);

  it('registers through a digest challenge, refreshes when the short grant is half gone, and takes calls to its contact', async () => {
    const port = await freeUdpPort();
    const registrar = await startSipp({
      scenario: 'uas-registrar-challenge-refresh.xml',
      target: '',
      listenPort: port,
      timeoutSeconds: 30,
      extraArgs: ['-trace_logs'],
    });
    try {
      const trunkId = await registrationTrunk('carrier-reg', port);
      await becomes(trunkId, (state) => state?.kind === 'registered', 'registered');
      // The registrar granted 4 s: the refresh (challenged again, same Call-ID) ends its scenario.
      const run = await registrar.done;
      expect(run.code, run.log).toBe(0);
      expect(run.trace).toContain('refreshed');
      const registration = suite.stack.signaling.trunkRegistrations.get(trunkId)!;
      expect(run.trace).toContain(`contact-user: ${registration.contactUser}`);
      await becomes(
        trunkId,
        (state) => state?.kind === 'registered' && state.until.getTime() - Date.now() > 60_000,
        'registered for the 3600 s of the refresh',
      );
      expect(await metric('dialo_trunk_registrations_total')).toMatch(/trunk="carrier-reg",result="registered"\} 2/);
      expect(await metric('dialo_trunk_registered')).toMatch(/dialo_trunk_registered\{trunk="carrier-reg"\} 1/);

      // The carrier calls our contact, the number in To: the DID's owner's phone rings and answers.
      const owner = await caller('rhea', 0);
      await did('+14155550150', owner.accountId);
      const ringing = await phone(suite.stack.target, owner.fields('device0'), 'uas-answer.xml');
      const toContact = await derivedScenario('uac-carrier-call-expect-200.xml', (xml) => xml.replace('INVITE sip:[field0]@', 'INVITE sip:[field2]@'));
      const call = await runSipp({
        scenario: toContact,
        target: suite.stack.target,
        localAddress: CARRIER_PROXY,
        fields: [`+14155550150;500;${registration.contactUser}`],
      });
      expect(call.code, call.log).toBe(0);
      const answered = await ringing.done;
      expect(answered.code, answered.log).toBe(0);
      expect(await finishedCallTo('+14155550150')).toMatchObject({ direction: 'inbound', account_id: owner.accountId, trunk_id: trunkId, sip_status: 200 });
    } finally {
      registrar.stop();
    }
  });

  it('shows a registration the registrar refuses (403) as failed, and outbound calls skip the trunk', async () => {
    const port = await freeUdpPort();
    // The registration trunk's outbound next hop takes every datagram and answers none: a call tried there would show.
    const silent = createSocket('udp4');
    const heard: string[] = [];
    silent.on('message', (message) => heard.push(message.toString('latin1')));
    const silentPort = await freeUdpPort();
    await new Promise<void>((resolve) => silent.bind(silentPort, '127.0.0.1', resolve));
    const registrar = await startSipp({ scenario: 'uas-registrar-forbidden.xml', target: '', listenPort: port, timeoutSeconds: 30 });
    try {
      const second = await carrier('carrier-second', 'uas-answer.xml', { priority: 2 });
      const trunkId = await registrationTrunk('carrier-refused', port, { priority: 1, outboundUri: `sip:127.0.0.1:${silentPort}` });
      await becomes(trunkId, (state) => state?.kind === 'failed' && state.status === 403, 'failed with 403');
      expect(await metric('dialo_trunk_registrations_total')).toMatch(/trunk="carrier-refused",result="refused"\} [1-9]/);
      expect(await metric('dialo_trunk_registered')).toMatch(/dialo_trunk_registered\{trunk="carrier-refused"\} 0/);

      const who = await caller('sven', 10 * UNIT);
      const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [who.fields('+14155550100', 300)] });
      expect(call.code, call.log).toBe(0);
      expect((await finishedCdr(who.accountId)).trunk_id).toBe(second.trunkId);
      expect(heard.filter((message) => message.startsWith('INVITE '))).toEqual([]);
      second.stop();
    } finally {
      registrar.stop();
      silent.close();
    }
  });
});
