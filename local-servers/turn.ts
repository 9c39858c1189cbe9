/** coturn on loopback for single-machine mode, checking the TURN credentials the api issues (TURN REST, use-auth-secret). */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PortRange } from '../config.ts';
import { tcpAnswers, udpBound } from './probes.ts';
import type { ChildSpec } from './supervisor.ts';

export interface TurnPorts {
  readonly listen: number;
  readonly relay: PortRange;
}

export async function turnChild(binary: string, options: { dataDir: string; ports: TurnPorts; secret: string; realm: string }): Promise<ChildSpec> {
  const folder = join(options.dataDir, 'turn');
  await mkdir(folder, { recursive: true });
  const { listen, relay } = options.ports;
  return {
    name: 'turn',
    command: binary,
    args: [
      '--listening-ip=127.0.0.1',
      `--listening-port=${listen}`,
      '--relay-ip=127.0.0.1',
      `--min-port=${relay.start}`,
      `--max-port=${relay.end}`,
      '--use-auth-secret',
      `--static-auth-secret=${options.secret}`,
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
