/**
 * A carrier reached over SIP/TLS, for the TLS trunk suites: its own drachtio-server with a TLS contact (certificate
 * from test/harness/tls-certs.ts) and a drachtio-srf UAS that answers every INVITE and records what reached it.
 * Debian's sipp is built without TLS, so this stands in for a sipp carrier.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Srf from 'drachtio-srf';
import { startDrachtio } from './drachtio.ts';
import type { TestCa } from './tls-certs.ts';

/** What the carrier saw of each INVITE that reached it, and of the ACK to its answer. */
export interface SeenInvite {
  readonly protocol: string;
  readonly uri: string;
  /** The INVITE's SDP offer; empty when it came without one. */
  readonly offer: string;
  /** The ACK's SDP (the answer to an offer the carrier made in its 200); undefined until the ACK came. */
  ackSdp?: string;
  /** Whether our side hung up (BYE) this call. */
  byeReceived: boolean;
}

export interface TlsCarrier {
  readonly seen: SeenInvite[];
  /** `sips:127.0.0.1:<port>;transport=tls`, the trunk's outbound URI. */
  readonly uri: string;
  /** The SHA-256 fingerprint of the certificate it presents, as a trunk's pin is written (AB:CD:...). */
  readonly fingerprint: string;
  stop(): Promise<void>;
}

/**
 * @param answer the SDP of its 200: an answer to the INVITE's offer, or its own offer when the INVITE had none
 * @example
 * const carrier = await tlsCarrier(await harnessCa.issue('carrier'), harnessCa, () => ANSWER);
 */
export async function tlsCarrier(cert: { certFile: string; keyFile: string }, trusts: TestCa, answer: (offer: string) => string): Promise<TlsCarrier> {
  const server = await startDrachtio({ tls: { ...cert, caFile: trusts.caFile } });
  const srf = new Srf();
  const seen: SeenInvite[] = [];
  srf.invite((req, res) => {
    const record: SeenInvite = { protocol: req.protocol, uri: req.uri, offer: req.body ?? '', byeReceived: false };
    seen.push(record);
    srf.createUAS(req, res, { localSdp: answer(record.offer) }).then(
      (dialog) => {
        dialog.once('ack', (ack: { body?: string }) => (record.ackSdp = ack.body ?? ''));
        dialog.once('destroy', () => (record.byeReceived = true));
      },
      () => undefined,
    );
  });
  await new Promise<void>((resolve, reject) => {
    srf.once('connect', (error: Error | null) => (error ? reject(error) : resolve()));
    void srf.connect(server.admin);
  });
  const { fingerprint256 } = new X509Certificate(await readFile(cert.certFile));
  return {
    seen,
    uri: `sips:127.0.0.1:${server.tlsPort!};transport=tls`,
    fingerprint: fingerprint256,
    async stop() {
      srf.disconnect();
      await server.stop();
    },
  };
}
