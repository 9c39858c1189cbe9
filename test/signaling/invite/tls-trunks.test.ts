// TLS trunks through real drachtio-server: sipp (UDP) as the caller, and as the carrier a second drachtio-server with a
// TLS contact and a drachtio-srf UAS (Debian's sipp has no TLS). The CA and certificates are made for the run
// (test/harness/tls-certs.ts); our drachtio-server trusts only the harness CA.
import Srf from 'drachtio-srf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision, startDrachtio } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';
import { testCertificates, type TestCa, type TestCas } from '../../harness/tls-certs.ts';

const missing = drachtioProvision.via !== 'path' || sippBinary === undefined;

const ANSWER = 'v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** What the carrier's UAS saw of each INVITE that reached it. */
interface Seen {
  readonly protocol: string;
  readonly uri: string;
}

/** A carrier on its own drachtio-server, TLS only to us, answering every INVITE and hanging up on our BYE. */
async function tlsCarrier(cert: { certFile: string; keyFile: string }, trusts: TestCa) {
  const server = await startDrachtio({ tls: { ...cert, caFile: trusts.caFile } });
  const srf = new Srf();
  const seen: Seen[] = [];
  srf.invite((req, res) => {
    seen.push({ protocol: req.protocol, uri: req.uri });
    void srf.createUAS(req, res, { localSdp: ANSWER }).catch(() => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    srf.once('connect', (error: Error | null) => (error ? reject(error) : resolve()));
    void srf.connect(server.admin);
  });
  return {
    seen,
    uri: `sips:127.0.0.1:${server.tlsPort!};transport=tls`,
    async stop() {
      srf.disconnect();
      await server.stop();
    },
  };
}

describe.skipIf(missing)('TLS trunks over real drachtio-server', () => {
  let certificates: TestCas;
  let harnessCa: TestCa;
  let rogueCa: TestCa;
  let database: TestDatabase;
  let stack: SignalingStack;
  const carriers: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    certificates = await testCertificates();
    harnessCa = await certificates.ca('harness');
    rogueCa = await certificates.ca('rogue');
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(
      database,
      { CALLER_ID_DEFAULT: '+14155550199', TRUNK_TIMEOUT_SECONDS: '4' },
      { tls: { ...(await harnessCa.issue('pbx')), caFile: harnessCa.caFile } },
    );
    await createRate(
      database.db,
      toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }),
    );
  });
  afterEach(async () => {
    await database.db.deleteFrom('trunks').execute();
    await stack.signaling.refreshCaches();
  });
  afterAll(async () => {
    for (const carrier of carriers) await carrier.stop();
    await stack?.stop();
    await database?.close();
    await certificates?.remove();
  });

  const { caller, finishedCdr } = callFixtures(
    () => database,
    refreshOf(() => stack),
  );

  async function trunkTo(name: string, uri: string): Promise<number> {
    const row = await database.db.insertInto('trunks').values({ name, priority: 1, outbound_uri: uri }).returning('id').executeTakeFirstOrThrow();
    await stack.signaling.refreshCaches();
    return row.id;
  }

  it('a call to a sips: trunk reaches the carrier over TLS and connects', async () => {
    const carrier = await tlsCarrier(await harnessCa.issue('carrier'), harnessCa);
    carriers.push(carrier);
    const trunkId = await trunkTo('tls-carrier', carrier.uri);
    const ada = await caller('ada', 10 * UNIT);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [ada.fields('+14155550100', 300)] });
    expect(call.code, call.log).toBe(0);
    expect(carrier.seen).toEqual([{ protocol: 'tls', uri: expect.stringMatching(/^sips?:\+14155550100@127\.0\.0\.1:\d+/) as unknown as string }]);
    expect(await finishedCdr(ada.accountId)).toMatchObject({ phase: 'ended', trunk_id: trunkId, sip_status: 200 });
  });

  it('a carrier whose certificate another CA signed is refused: no INVITE reaches it, the caller hears 503 at the trunk timeout', async () => {
    const carrier = await tlsCarrier(await rogueCa.issue('carrier'), harnessCa);
    carriers.push(carrier);
    await trunkTo('rogue-carrier', carrier.uri);
    const bea = await caller('bea', 10 * UNIT);
    const call = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: stack.target,
      fields: [bea.fields('+14155550100')],
      keys: { expect: '503', reason: 'trunk-failure' },
    });
    expect(call.code, call.log).toBe(0);
    expect(carrier.seen).toEqual([]);
    expect(await finishedCdr(bea.accountId)).toMatchObject({ phase: 'failed', sip_status: 408 });
  });
});
