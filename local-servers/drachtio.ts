/** drachtio-server on loopback for single-machine mode: SIP over UDP/TCP and WebSocket, the admin port for the app. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tcpAnswers } from './probes.ts';
import type { ChildSpec } from './supervisor.ts';

export interface DrachtioPorts {
  readonly sip: number;
  readonly sipWs: number;
  readonly admin: number;
}

/** Contacts and the admin port go on the command line; the file holds what has no flag. */
function configXml(adminPort: number): string {
  return `<drachtio>
  <admin port="${adminPort}" secret="unused">127.0.0.1</admin>
  <cdrs>false</cdrs>
  <!-- notice: at info every SIP message (addresses, numbers, digest headers) would go to its log file. -->
  <logging><console/><loglevel>notice</loglevel><sofia-loglevel>3</sofia-loglevel></logging>
</drachtio>
`;
}

export async function drachtioChild(binary: string, options: { dataDir: string; ports: DrachtioPorts; secret: string }): Promise<ChildSpec> {
  const folder = join(options.dataDir, 'drachtio');
  await mkdir(folder, { recursive: true });
  const config = join(folder, 'drachtio.conf.xml');
  await writeFile(config, configXml(options.ports.admin));
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
      '--secret',
      options.secret,
    ],
    cwd: folder,
    logFile: join(options.dataDir, 'logs', 'drachtio.log'),
    ready: () => tcpAnswers(admin),
    readyTimeoutMs: 15_000,
  };
}
