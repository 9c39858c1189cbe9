/**
 * A real drachtio-server for a suite, on loopback ports chosen per run: from a container where an engine
 * answers, else `drachtio` on PATH, else the suite is skipped with one line saying so (fails under CI=true).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drachtioChild, type DrachtioTls } from '../../local-servers/drachtio.ts';
import { freePort, locate, missingServer, spawnServer, waitForTcp, type Provision } from './external.ts';

export interface DrachtioServer {
  /** Admin connection for drachtio-srf. */
  readonly admin: { host: string; port: number; secret: string };
  /** SIP over UDP and TCP. */
  readonly sipPort: number;
  /** SIP over WebSocket (subprotocol `sip`). */
  readonly wsPort: number;
  /** SIP over TLS, when started with `tls`. */
  readonly tlsPort: number | undefined;
  output(): string;
  /** Sends the process a signal: SIGSTOP and SIGCONT make a server that is up but answers nothing, then again. */
  signal(signal: NodeJS.Signals): void;
  /** Stops it and starts it again on the same ports: every dialog it held is gone. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const drachtioProvision: Provision = await locate({
  name: 'drachtio-server',
  binary: 'drachtio',
  image: 'drachtio/drachtio-server:latest',
});
if (drachtioProvision.via === 'missing') missingServer('SIP suites', drachtioProvision.reason);

/** `tls`: also a TLS contact with these files, verifying every peer against `caFile` (local-servers/drachtio.ts). */
export async function startDrachtio(options: { tls?: Omit<DrachtioTls, 'port'> } = {}): Promise<DrachtioServer> {
  const [adminPort, sipPort, wsPort] = [await freePort(), await freePort(), await freePort()];
  const tls = options.tls === undefined ? undefined : { ...options.tls, port: await freePort() };
  const secret = randomBytes(12).toString('hex');
  // A container brings its own config file; only the flags go on its command line.
  const args = [
    '--contact',
    `sip:127.0.0.1:${sipPort};transport=udp,tcp`,
    '--contact',
    `sip:127.0.0.1:${wsPort};transport=ws`,
    '--address',
    '127.0.0.1',
    '--port',
    String(adminPort),
    '--secret',
    secret,
  ];
  const admin = { host: '127.0.0.1', port: adminPort, secret };
  if (drachtioProvision.via === 'container') {
    if (tls !== undefined) throw new Error('TLS is only set up for a drachtio-server from PATH');
    const { GenericContainer } = await import('testcontainers');
    // Host networking keeps SIP's addresses in Via/Contact true; UDP port mapping would rewrite nothing.
    const container = await new GenericContainer(drachtioProvision.image)
      .withNetworkMode('host')
      .withCommand(['drachtio', ...args])
      .start();
    await waitForTcp(adminPort, 15_000);
    const unsupported = () => {
      throw new Error('signalling or restarting a drachtio-server container is not supported: run it from PATH');
    };
    return {
      admin,
      sipPort,
      wsPort,
      tlsPort: undefined,
      output: () => '',
      signal: unsupported,
      restart: async () => unsupported(),
      stop: async () => void (await container.stop()),
    };
  }
  if (drachtioProvision.via === 'missing') throw new Error(drachtioProvision.reason);
  // From PATH, run exactly as `npm start` runs it (local-servers/drachtio.ts), on this run's ports.
  const folder = await mkdtemp(join(tmpdir(), 'dialo-drachtio-'));
  const spec = await drachtioChild(drachtioProvision.binary, {
    dataDir: folder,
    ports: { sip: sipPort, sipWs: wsPort, admin: adminPort },
    secret,
    ...(tls === undefined ? {} : { tls }),
  });
  const spawnIt = async () => {
    const started = await spawnServer(spec.command, spec.args, { readyPort: adminPort, cwd: spec.cwd, env: { ...process.env, ...spec.env } });
    await waitForTcp(sipPort, 10_000);
    await waitForTcp(wsPort, 10_000);
    if (tls !== undefined) await waitForTcp(tls.port, 10_000);
    return started;
  };
  let server = await spawnIt();
  return {
    admin,
    sipPort,
    wsPort,
    tlsPort: tls?.port,
    output: () => server.output(),
    signal: (signal) => void server.child.kill(signal),
    async restart() {
      await server.stop();
      server = await spawnIt();
    },
    async stop() {
      await server.stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
