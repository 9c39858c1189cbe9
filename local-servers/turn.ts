/** coturn on loopback for single-machine mode, checking the TURN credentials the api issues (TURN REST, use-auth-secret). */
import { join } from 'node:path';
import type { PortRange } from '../config.ts';
import { tcpAnswers, udpBound } from './probes.ts';
import { privateFolder, writePrivateFile } from './secrets.ts';
import type { ChildSpec } from './supervisor.ts';

export interface TurnPorts {
  readonly listen: number;
  readonly relay: PortRange;
}

export async function turnChild(binary: string, options: { dataDir: string; ports: TurnPorts; secret: string; realm: string }): Promise<ChildSpec> {
  const folder = join(options.dataDir, 'turn');
  await privateFolder(folder);
  // The secret in a 0600 file, not on the command line, which every local user can read. Given -c, coturn reads
  // this file in place of its default (/etc/turnserver.conf).
  const config = join(folder, 'turnserver.conf');
  await writePrivateFile(config, `static-auth-secret=${options.secret}\n`);
  const { listen, relay } = options.ports;
  return {
    name: 'turn',
    command: binary,
    args: [
      '-c',
      config,
      '--listening-ip=127.0.0.1',
      `--listening-port=${listen}`,
      '--relay-ip=127.0.0.1',
      `--min-port=${relay.start}`,
      `--max-port=${relay.end}`,
      '--use-auth-secret',
      `--realm=${options.realm}`,
      // Everything here is on loopback, which coturn refuses to relay to unless told.
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--no-software-attribute',
      '--log-file=stdout',
      '--simple-log',
      `--pidfile=${join(folder, 'turnserver.pid')}`,
    ],
    cwd: folder,
    logFile: join(options.dataDir, 'logs', 'turn.log'),
    ready: async () => (await tcpAnswers(listen)) && (await udpBound(listen)),
    readyTimeoutMs: 15_000,
  };
}
