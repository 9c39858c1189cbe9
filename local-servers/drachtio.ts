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

export async function drachtioChild(binary: string, options: { dataDir: string; ports: DrachtioPorts; secret: string }): Promise<ChildSpec> {
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
      '--address',
      '127.0.0.1',
      '--port',
      String(admin),
    ],
    cwd: folder,
    logFile: join(options.dataDir, 'logs', 'drachtio.log'),
    ready: () => tcpAnswers(admin),
    readyTimeoutMs: 15_000,
  };
}
