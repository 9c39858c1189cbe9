// TLS trunks through real drachtio-server: sipp (UDP) as the caller, and as the carrier a second drachtio-server with a
// TLS contact and a drachtio-srf UAS (test/harness/tls-carrier.ts; Debian's sipp has no TLS). The CA and certificates are made for the run
// (test/harness/tls-certs.ts); our drachtio-server trusts only the harness CA.
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';
import { tlsCarrier } from '../../harness/tls-carrier.ts';
import { testCertificates, type TestCa, type TestCas } from '../../harness/tls-certs.ts';

const missing = drachtioProvision.via !== 'path' || sippBinary === undefined;

const ANSWER = 'v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

const carrierAnswer = () => ANSWER;

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

  async function trunkTo(name: string, uri: string, settings: { priority?: number; tls_pin_sha256?: string; tls_ca_pem?: string } = {}): Promise<number> {
    const row = await database.db
      .insertInto('trunks')
      .values({ name, priority: 1, outbound_uri: uri, ...settings })
      .returning('id')
      .executeTakeFirstOrThrow();
    await stack.signaling.refreshCaches();
    return row.id;
  }

  /** A desk phone's call to +14155550100 that must be refused 503 with this X-Reason. */
  const refusedCall = (who: Awaited<ReturnType<typeof caller>>, reason: string) =>
    runSipp({ scenario: 'uac-call-refused.xml', target: stack.target, fields: [who.fields('+14155550100')], keys: { expect: '503', reason } });

  it('a call to a sips: trunk reaches the carrier over TLS and connects', async () => {
    const carrier = await tlsCarrier(await harnessCa.issue('carrier'), harnessCa, carrierAnswer);
    carriers.push(carrier);
    const trunkId = await trunkTo('tls-carrier', carrier.uri);
    const ada = await caller('ada', 10 * UNIT);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [ada.fields('+14155550100', 300)] });
    expect(call.code, call.log).toBe(0);
    expect(carrier.seen).toMatchObject([{ protocol: 'tls', uri: expect.stringMatching(/^sips?:\+14155550100@127\.0\.0\.1:\d+/) as unknown as string }]);
    expect(await finishedCdr(ada.accountId)).toMatchObject({ phase: 'ended', trunk_id: trunkId, sip_status: 200 });
  });

  it('a carrier whose certificate another CA signed is refused: no INVITE reaches it, the caller hears 503 at the trunk timeout', async () => {
    const carrier = await tlsCarrier(await rogueCa.issue('carrier'), harnessCa, carrierAnswer);
    carriers.push(carrier);
    await trunkTo('rogue-carrier', carrier.uri);
    const bea = await caller('bea', 10 * UNIT);
    const call = await refusedCall(bea, 'trunk-failure');
    expect(call.code, call.log).toBe(0);
    expect(carrier.seen).toEqual([]);
    expect(await finishedCdr(bea.accountId)).toMatchObject({ phase: 'failed', sip_status: 408 });
  });

  it("a trunk pinned to another certificate is refused before any INVITE (the server's CA would take it); routing moves on to the next trunk", async () => {
    const [impostor, genuine] = [
      await tlsCarrier(await harnessCa.issue('impostor'), harnessCa, carrierAnswer),
      await tlsCarrier(await harnessCa.issue('genuine'), harnessCa, carrierAnswer),
    ];
    carriers.push(impostor, genuine);
    await trunkTo('pinned-impostor', impostor.uri, { priority: 1, tls_pin_sha256: genuine.fingerprint });
    const genuineId = await trunkTo('pinned-genuine', genuine.uri, { priority: 2, tls_pin_sha256: genuine.fingerprint });
    const cy = await caller('cy', 10 * UNIT);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [cy.fields('+14155550100', 300)] });
    expect(call.code, call.log).toBe(0);
    expect(impostor.seen).toEqual([]);
    expect(genuine.seen).toMatchObject([{ protocol: 'tls' }]);
    expect(await finishedCdr(cy.accountId)).toMatchObject({ phase: 'ended', trunk_id: genuineId, sip_status: 200 });
  });

  it("a trunk with its own CA refuses a carrier signed by another (one the server's CA file takes): the caller hears 503 trunk-untrusted", async () => {
    const carrier = await tlsCarrier(await harnessCa.issue('carrier'), harnessCa, carrierAnswer);
    carriers.push(carrier);
    await trunkTo('own-ca', carrier.uri, { tls_ca_pem: await readFile(rogueCa.caFile, 'utf8') });
    const di = await caller('di', 10 * UNIT);
    const call = await refusedCall(di, 'trunk-untrusted');
    expect(call.code, call.log).toBe(0);
    expect(carrier.seen).toEqual([]);
    expect(await finishedCdr(di.accountId)).toMatchObject({ phase: 'failed', sip_status: 503 });
  });
});
