/**
 * A TLS trunk's own CA or pin, checked by the app: drachtio-server 0.9.10 verifies every TLS peer against its one CA
 * file and tells the app nothing of the certificate, so before an attempt on a trunk with a CA or pin, a TLS handshake
 * of our own with the carrier's address shows its certificate to core/calls/trunk-security.ts. The INVITE then goes
 * on drachtio-server's own connection, which its CA file still has to accept (docs/architecture.md, TLS trunks).
 */
import { connect } from 'node:tls';
import { isIP } from 'node:net';
import { peerCertificateProblem, type TrunkSecurity } from '../core/calls/trunk-security.ts';
import type { TrunkUri } from '../core/calls/trunk-uri.ts';

/** SIP over TLS's port when the URI names none (RFC 3261 §19.1.2). */
const SIPS_PORT = 5061;

/**
 * Why the carrier at `uri` is not to be trusted with this trunk's calls, or undefined; a handshake that fails or takes
 * longer than `timeoutMs` is a reason too.
 */
export function trunkCertificateProblem(
  uri: TrunkUri,
  security: Pick<TrunkSecurity, 'tls_ca_pem' | 'tls_pin_sha256'>,
  timeoutMs: number,
): Promise<string | undefined> {
  const host = uri.host.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: uri.port ?? SIPS_PORT,
      // Without a CA of its own the trunk is pinned: any issuer, the fingerprint decides.
      ...(security.tls_ca_pem === null ? {} : { ca: security.tls_ca_pem }),
      // SNI takes names only (RFC 6066 §3); the certificate's host name is checked against `host` either way.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
    });
    const done = (problem: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    socket.once('secureConnect', () => {
      const error = socket.authorizationError;
      done(
        peerCertificateProblem(security, {
          authorizationError: error === null ? undefined : String(error),
          fingerprint256: socket.getPeerCertificate().fingerprint256,
        }),
      );
    });
    socket.once('error', (error) => done(`TLS handshake failed: ${error.message}`));
  });
}
