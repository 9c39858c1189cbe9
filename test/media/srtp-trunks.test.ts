// SRTP to a TLS trunk (media_encryption sdes) through real FreeSWITCH (infra/freeswitch) and real drachtio-server: a
// browser's call (sipp's WebRTC offer) to a carrier reached over TLS (test/harness/tls-carrier.ts; Debian's sipp has
// no TLS). The carrier is dialled without an offer, offers SDES in its 200 and gets FreeSWITCH's keyed answer in the
// ACK; a carrier that offers plain RTP is refused.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../harness/calls.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { eslSession } from '../harness/esl.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { derivedScenario, runSipp, sippBinary } from '../harness/sipp.ts';
import { tlsCarrier, type TlsCarrier } from '../harness/tls-carrier.ts';
import { testCertificates, type TestCa, type TestCas } from '../harness/tls-certs.ts';

const missing = drachtioProvision.via !== 'path' || freeswitchProvision.via === 'missing' || sippBinary === undefined;

/** The carrier's offer in its 200: G.711 to `port`, SRTP keyed with a fresh master key and salt (30 bytes, RFC 4568 §6.1) or plain. */
function carrierOffer(port: number, srtp: boolean): string {
  const key = srtp ? `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${randomBytes(30).toString('base64')}\r\n` : '';
  return `v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/${srtp ? 'SAVP' : 'AVP'} 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n${key}a=sendrecv\r\n`;
}

describe.skipIf(missing)('SRTP to a TLS trunk (real FreeSWITCH and drachtio-server)', () => {
  let certificates: TestCas;
  let harnessCa: TestCa;
  const carriers: TlsCarrier[] = [];
  const media = useFreeSwitch();
  let pbxCert: { certFile: string; keyFile: string };
  // Before useCallStack's hook, which starts our drachtio-server with this certificate.
  beforeAll(async () => {
    certificates = await testCertificates();
    harnessCa = await certificates.ca('harness');
    pbxCert = await harnessCa.issue('pbx');
  });
  const suite = useCallStack(
    media.env,
    (db) =>
      createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
    () => ({ tls: { ...pbxCert, caFile: harnessCa.caFile } }),
  );
  afterAll(async () => {
    for (const carrier of carriers) await carrier.stop();
    await certificates?.remove();
  });
  const { caller, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  async function srtpTrunk(carrier: TlsCarrier): Promise<number> {
    const row = await suite.database.db
      .insertInto('trunks')
      .values({ name: 'srtp-carrier', priority: 1, outbound_uri: carrier.uri, media_encryption: 'sdes' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await suite.stack.signaling.refreshCaches();
    return row.id;
  }

  /** The keys of FreeSWITCH's channels that negotiated SDES (`rtp_has_crypto`), as its event socket reports them now. */
  async function srtpChannels(): Promise<string[]> {
    const { port, secret } = media.server.esl;
    const listed = (await eslSession(port, secret, 'show channels as json')).output ?? '';
    const rows = (JSON.parse(listed) as { rows?: { uuid: string }[] }).rows ?? [];
    const suites = await Promise.all(rows.map(async ({ uuid }) => (await eslSession(port, secret, `uuid_getvar ${uuid} rtp_has_crypto`)).output?.trim()));
    return suites.filter((suite): suite is string => suite !== undefined && suite !== '_undef_');
  }

  it("a browser's call reaches the carrier over TLS with no offer; the carrier's SDES offer gets FreeSWITCH's keyed RTP/SAVP answer, and media is SRTP", async () => {
    // Where FreeSWITCH sends the carrier's media: SRTP packets, each its RTP header and payload plus an 80-bit tag.
    const rtp = createSocket('udp4');
    const sizes: number[] = [];
    rtp.on('message', (packet) => sizes.push(packet.length));
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
    try {
      const carrier = await tlsCarrier(await harnessCa.issue('carrier'), harnessCa, () => carrierOffer(rtp.address().port, true));
      carriers.push(carrier);
      const trunkId = await srtpTrunk(carrier);
      const ada = await caller('ada', 10 * UNIT);
      const call = runSipp({ scenario: 'uac-webrtc-call-expect-200.xml', target: suite.stack.target, fields: [ada.fields('+14155550100', 3000)] });
      await vi.waitFor(() => expect(carrier.seen[0]?.ackSdp).toBeDefined(), { timeout: 10_000 });
      // FreeSWITCH lists a channel a moment after it is up.
      await vi.waitFor(async () => expect(await srtpChannels()).toContain('AES_CM_128_HMAC_SHA1_80'), { timeout: 5000 });
      const done = await call;
      expect(done.code, done.log).toBe(0);
      const [seen] = carrier.seen;
      expect(seen).toMatchObject({ protocol: 'tls', offer: '' });
      expect(seen!.ackSdp).toMatch(/^m=audio [1-9]\d* RTP\/SAVP /m);
      expect(seen!.ackSdp).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\S+/m);
      expect(await finishedCdr(ada.accountId)).toMatchObject({ phase: 'ended', trunk_id: trunkId, sip_status: 200, media_server: 'freeswitch 127.0.0.1' });
      // PCMU at 20 ms is 12 + 160 bytes as plain RTP; SRTP adds the 10-byte authentication tag.
      await vi.waitFor(() => expect(sizes).toContain(182));
      expect(sizes).not.toContain(172);
    } finally {
      rtp.close();
    }
  });

  it("a desk phone's plain-RTP call to an SRTP trunk goes through the media server too, and the carrier gets SRTP", async () => {
    const carrier = await tlsCarrier(await harnessCa.issue('phone-carrier'), harnessCa, () => carrierOffer(40_002, true));
    carriers.push(carrier);
    const trunkId = await srtpTrunk(carrier);
    const cy = await caller('cy', 10 * UNIT);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [cy.fields('+14155550100', 300)] });
    expect(call.code, call.log).toBe(0);
    expect(carrier.seen).toMatchObject([{ protocol: 'tls', offer: '' }]);
    expect(carrier.seen[0]!.ackSdp).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\S+/m);
    expect(await finishedCdr(cy.accountId)).toMatchObject({ phase: 'ended', trunk_id: trunkId, sip_status: 200, media_server: 'freeswitch 127.0.0.1' });
  });

  it('a carrier that offers plain RTP to an SRTP trunk is refused: ACK and BYE to it, 488 srtp-refused to the caller', async () => {
    const carrier = await tlsCarrier(await harnessCa.issue('plain-carrier'), harnessCa, () => carrierOffer(40_000, false));
    carriers.push(carrier);
    await srtpTrunk(carrier);
    const bo = await caller('bo', 10 * UNIT);
    const scenario = await derivedScenario('uac-webrtc-call-expect-488.xml', (xml) => xml.replace('regexp="media-unavailable"', 'regexp="srtp-refused"'));
    const call = await runSipp({ scenario, target: suite.stack.target, fields: [bo.fields('+14155550100')] });
    expect(call.code, call.log).toBe(0);
    // The BYE follows the ACK; on a loaded box it can take longer than waitFor's default second.
    await vi.waitFor(() => expect(carrier.seen).toMatchObject([{ protocol: 'tls', offer: '', byeReceived: true }]), { timeout: 10_000 });
    expect(await finishedCdr(bo.accountId)).toMatchObject({ phase: 'failed', sip_status: 488 });
  });
});
