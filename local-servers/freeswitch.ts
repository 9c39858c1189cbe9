/**
 * FreeSWITCH on loopback for single-machine mode, with the project's infra/freeswitch config: a copy of freeswitch.xml
 * next to a generated vars.xml (ports, a generated event-socket password), every folder it writes under the data dir.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortRange } from '../config.ts';
import { tcpAnswers, udpBound } from './probes.ts';
import { privateFolder, writePrivateFile } from './secrets.ts';
import type { ChildSpec } from './supervisor.ts';

const CONFIG = fileURLToPath(new URL('../infra/freeswitch/freeswitch.xml', import.meta.url));
const FOLDERS = ['conf', 'log', 'db', 'run', 'temp', 'certs', 'storage', 'cache', 'recordings'] as const;

export interface FreeSwitchPorts {
  readonly sip: number;
  readonly esl: number;
  readonly rtp: PortRange;
}

function varsXml(values: Record<string, string | number>): string {
  const lines = Object.entries(values).map(([name, value]) => `  <X-PRE-PROCESS cmd="set" data="${name}=${value}"/>`);
  return `<!-- Written by local-servers/freeswitch.ts at each start: edits are lost. -->\n<include>\n${lines.join('\n')}\n</include>\n`;
}

export async function freeswitchChild(binary: string, options: { dataDir: string; ports: FreeSwitchPorts; eslPassword: string }): Promise<ChildSpec> {
  const root = join(options.dataDir, 'freeswitch');
  const dirs = Object.fromEntries(FOLDERS.map((name) => [name, join(root, name)])) as Record<(typeof FOLDERS)[number], string>;
  await privateFolder(root);
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
  await copyFile(CONFIG, join(dirs.conf, 'freeswitch.xml'));
  const { sip, esl, rtp } = options.ports;
  await writePrivateFile(
    join(dirs.conf, 'vars.xml'),
    varsXml({
      esl_listen_ip: '127.0.0.1',
      esl_port: esl,
      esl_password: options.eslPassword,
      sip_allowed_cidr: '127.0.0.1/32',
      mrf_sip_ip: '127.0.0.1',
      mrf_sip_port: sip,
      rtp_ip: '127.0.0.1',
      ext_rtp_ip: '127.0.0.1',
      rtp_start_port: rtp.start,
      rtp_end_port: rtp.end,
      max_sessions: 200,
    }),
  );
  return {
    name: 'freeswitch',
    command: binary,
    args: ['-nf', '-nc', '-nonat', '-nonatmap', '-nocal', ...Object.entries(dirs).flatMap(([name, dir]) => [`-${name}`, dir])],
    cwd: root,
    logFile: join(options.dataDir, 'logs', 'freeswitch.log'),
    // The event socket can answer before the SIP profile is up, and drachtio-fsmrf reads the profile's address at connect.
    ready: async () => (await tcpAnswers(esl)) && (await udpBound(sip)),
    readyTimeoutMs: 30_000,
  };
}
