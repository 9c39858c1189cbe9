/**
 * A real FreeSWITCH for the media suites, running the project's own config (infra/freeswitch) on loopback ports
 * chosen per run: `freeswitch` on PATH, else the suite is skipped with one line saying so (fails under CI=true). (No container image
 * carries this config; an operator's compose file mounts it.)
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
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

const CONFIG = fileURLToPath(new URL('../../infra/freeswitch/', import.meta.url));

/** Each test worker's RTP ports: below the kernel's ephemeral range and above the blocks freePort() hands out. */
function rtpRange(): { start: number; end: number } {
  const block = Number(process.env.VITEST_POOL_ID ?? process.pid) % 4;
  const start = 30_000 + block * 600;
  return { start, end: start + 599 };
}

function varsXml(values: Record<string, string | number>): string {
  const lines = Object.entries(values).map(([name, value]) => `  <X-PRE-PROCESS cmd="set" data="${name}=${value}"/>`);
  return `<include>\n${lines.join('\n')}\n</include>\n`;
}

export async function startFreeSwitch(): Promise<FreeSwitchServer> {
  if (freeswitchProvision.via !== 'path')
    throw new Error(freeswitchProvision.via === 'missing' ? freeswitchProvision.reason : 'FreeSWITCH runs from PATH only');
  const [eslPort, sipPort] = [await freePort(), await freePort()];
  const secret = randomBytes(12).toString('hex');
  const rtp = rtpRange();
  const folder = await mkdtemp(join(tmpdir(), 'dialo-freeswitch-'));
  const dirs = Object.fromEntries(['conf', 'log', 'db', 'run', 'temp', 'certs', 'storage', 'cache', 'recordings'].map((name) => [name, join(folder, name)]));
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir)));
  await copyFile(join(CONFIG, 'freeswitch.xml'), join(dirs.conf!, 'freeswitch.xml'));
  await writeFile(
    join(dirs.conf!, 'vars.xml'),
    varsXml({
      esl_listen_ip: '127.0.0.1',
      esl_port: eslPort,
      esl_password: secret,
      sip_allowed_cidr: '127.0.0.1/32',
      mrf_sip_ip: '127.0.0.1',
      mrf_sip_port: sipPort,
      rtp_ip: '127.0.0.1',
      ext_rtp_ip: '127.0.0.1',
      rtp_start_port: rtp.start,
      rtp_end_port: rtp.end,
      max_sessions: 200,
    }),
  );
  const locations = Object.entries(dirs).flatMap(([name, dir]) => [`-${name}`, dir]);
  const launch = async () => {
    const server = await spawnServer(freeswitchProvision.binary, ['-nf', '-nc', '-nonat', '-nonatmap', '-nocal', ...locations], {
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
