/** drachtio-server on loopback for single-machine mode: SIP over UDP/TCP and WebSocket, the admin port for the app. */
import { join } from 'node:path';
import { tcpAnswers } from './probes.ts';
import { privateFolder, writePrivateFile } from './secrets.ts';
import type { ChildSpec } from './supervisor.ts';

export interface DrachtioPorts {
  readonly sip: number;
  readonly sipWs: number;
  readonly admin: number;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** The admin secret is here, in a 0600 file, not on the command line (`--secret`), which every local user can read. */
function configXml(adminPort: number, secret: string): string {
  return `<drachtio>
  <admin port="${adminPort}" secret="${secret.replace(/[&<>"]/g, (char) => XML_ESCAPES[char]!)}">127.0.0.1</admin>
  <cdrs>false</cdrs>
  <!-- notice: at info every SIP message (addresses, numbers, digest headers) would go to its log file. -->
  <logging><console/><loglevel>notice</loglevel><sofia-loglevel>3</sofia-loglevel></logging>
</drachtio>
`;
}

/** SIP over TLS: drachtio-server's certificate and key, and the CA file it trusts (also sent as its chain). */
export interface DrachtioTls {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/**
 * TLS, when given, verifies every peer: drachtio-server only checks certificates with DRACHTIO_TLS_VERIFY_CLIENT_CERT=1
 * (sofia-sip's TPTAG_TLS_VERIFY_PEER), and then for both directions against the one CA file (its chain file). Without
 * it, an outbound TLS trunk would accept any certificate. The certificate's host name is not checked by drachtio-server.
 */
function tlsArgs(tls: DrachtioTls | undefined): string[] {
  if (tls === undefined) return [];
  return ['--contact', `sips:127.0.0.1:${tls.port};transport=tls`, '--cert-file', tls.certFile, '--key-file', tls.keyFile, '--chain-file', tls.caFile];
}

/** `env`: what drachtio-server takes only from its environment, to add to the one it inherits. */
export interface DrachtioChildSpec extends ChildSpec {
  readonly env: Readonly<Record<string, string>>;
}

export async function drachtioChild(
  binary: string,
  options: { dataDir: string; ports: DrachtioPorts; secret: string; tls?: DrachtioTls },
): Promise<DrachtioChildSpec> {
  const folder = join(options.dataDir, 'drachtio');
  await privateFolder(folder);
  const config = join(folder, 'drachtio.conf.xml');
  await writePrivateFile(config, configXml(options.ports.admin, options.secret));
  const { sip, sipWs, admin } = options.ports;
  return {
    name: 'drachtio',
    command: binary,
    // Spawned without a shell, so the `;` in each contact needs no quoting.
    args: [
      '-f',
      config,
      '--contact',
      `sip:127.0.0.1:${sip};transport=udp,tcp`,
      '--contact',
      `sip:127.0.0.1:${sipWs};transport=ws`,
      ...tlsArgs(options.tls),
      '--address',
      '127.0.0.1',
      '--port',
      String(admin),
    ],
    cwd: folder,
    env: options.tls === undefined ? {} : { DRACHTIO_TLS_VERIFY_CLIENT_CERT: '1' },
    logFile: join(options.dataDir, 'logs', 'drachtio.log'),
    ready: () => tcpAnswers(admin),
    readyTimeoutMs: 15_000,
  };
}
