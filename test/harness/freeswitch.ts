/**
 * A real FreeSWITCH for the media suites, running the project's own config (infra/freeswitch) on loopback ports
 * chosen per run: `freeswitch` on PATH, else the suite is skipped with one line saying so (fails under CI=true). (No container image
 * carries this config; an operator's compose file mounts it.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freeswitchChild } from '../../local-servers/freeswitch.ts';
import { freePort, locate, missingServer, spawnServer, udpBound, type Provision } from './external.ts';

export interface FreeSwitchServer {
  /** Event socket, for drachtio-fsmrf. */
  readonly esl: { readonly host: string; readonly port: number; readonly secret: string };
  /** The drachtio_mrf profile's SIP port. */
  readonly sipPort: number;
  output(): string;
  /** Kills it at once (SIGKILL), as a crash would. */
  crash(): Promise<void>;
  /** Starts it again on the same ports after a crash. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const freeswitchProvision: Provision = await locate({ name: 'FreeSWITCH', binary: 'freeswitch' });
if (freeswitchProvision.via === 'missing') missingServer('media suites', freeswitchProvision.reason);

/** Each test worker's RTP ports: below the kernel's ephemeral range and above the blocks freePort() hands out. */
function rtpRange(): { start: number; end: number } {
  const block = Number(process.env.VITEST_POOL_ID ?? process.pid) % 4;
  const start = 30_000 + block * 600;
  return { start, end: start + 599 };
}

export async function startFreeSwitch(): Promise<FreeSwitchServer> {
  if (freeswitchProvision.via !== 'path')
    throw new Error(freeswitchProvision.via === 'missing' ? freeswitchProvision.reason : 'FreeSWITCH runs from PATH only');
  const [eslPort, sipPort] = [await freePort(), await freePort()];
  const secret = randomBytes(12).toString('hex');
  const rtp = rtpRange();
  const folder = await mkdtemp(join(tmpdir(), 'dialo-freeswitch-'));
  // Run exactly as `npm start` runs it (local-servers/freeswitch.ts: infra/freeswitch with a generated vars.xml).
  const spec = await freeswitchChild(freeswitchProvision.binary, { dataDir: folder, ports: { sip: sipPort, esl: eslPort, rtp }, eslPassword: secret });
  const launch = async () => {
    const server = await spawnServer(spec.command, spec.args, {
      cwd: spec.cwd,
      readyPort: eslPort,
      timeoutMs: 30_000,
    });
    // The event socket can answer before the SIP profile is up, and drachtio-fsmrf reads the profile's address at connect.
    for (let i = 0; !(await udpBound(sipPort)); i++) {
      if (i === 300) throw new Error(`FreeSWITCH did not bind SIP port ${sipPort}:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  };
  let server = await launch();
  return {
    esl: { host: '127.0.0.1', port: eslPort, secret },
    sipPort,
    output: () => server.output(),
    async crash() {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      server = await launch();
    },
    async stop() {
      await server.stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/**
 * A FreeSWITCH started before a describe block's other hooks and stopped after them; `env()` is the app's config
 * for it (pass it to useCallStack).
 * @example
 * const media = useFreeSwitch();
 * const suite = useCallStack(media.env);
 */
export function useFreeSwitch(extraEnv: Record<string, string> = {}): { readonly server: FreeSwitchServer; env(): Record<string, string> } {
  let server: FreeSwitchServer | undefined;
  beforeAll(async () => {
    server = await startFreeSwitch();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): FreeSwitchServer => {
    if (server === undefined) throw new Error('FreeSWITCH not started: use it inside a test or hook');
    return server;
  };
  return {
    get server() {
      return started();
    },
    env: () => ({ MEDIA_SERVERS: `127.0.0.1:${started().esl.port}`, MEDIA_SERVER_SECRET: started().esl.secret, ...extraEnv }),
  };
}
