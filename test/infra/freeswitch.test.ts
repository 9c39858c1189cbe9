/**
 * The FreeSWITCH config operators run (infra/freeswitch), with the vars.xml as shipped but for its ports: nobody can
 * use its event socket with FreeSWITCH's published default password, nor with none.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eslAuth } from '../harness/esl.ts';
import { freePort, spawnServer, type RunningProcess } from '../harness/external.ts';
import { freeswitchProvision } from '../harness/freeswitch.ts';

const INFRA = fileURLToPath(new URL('../../infra/freeswitch/', import.meta.url));

describe.skipIf(freeswitchProvision.via !== 'path')('infra/freeswitch as shipped', { timeout: 60_000 }, () => {
  let folder: string;
  let eslPort: number;
  let server: RunningProcess;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dialo-infra-freeswitch-'));
    const conf = join(folder, 'conf');
    await mkdir(conf);
    eslPort = await freePort();
    const sipPort = await freePort();
    const shipped = await readFile(join(INFRA, 'vars.xml'), 'utf8');
    // Only the ports change (parallel suites hold the defaults); the password line stays as shipped.
    const vars = shipped
      .replace(/esl_port=\d+/, `esl_port=${eslPort}`)
      .replace(/mrf_sip_port=\d+/, `mrf_sip_port=${sipPort}`)
      .replace(/rtp_start_port=\d+/, 'rtp_start_port=32400')
      .replace(/rtp_end_port=\d+/, 'rtp_end_port=32499');
    await writeFile(join(conf, 'vars.xml'), vars);
    await copyFile(join(INFRA, 'freeswitch.xml'), join(conf, 'freeswitch.xml'));
    const dirs = ['log', 'db', 'run', 'temp', 'certs', 'storage', 'cache', 'recordings'];
    await Promise.all(dirs.map((dir) => mkdir(join(folder, dir))));
    const args = ['-nf', '-nc', '-nonat', '-nonatmap', '-nocal', '-conf', conf, ...dirs.flatMap((dir) => [`-${dir}`, join(folder, dir)])];
    server = await spawnServer(freeswitchProvision.via === 'path' ? freeswitchProvision.binary : 'freeswitch', args, {
      readyPort: eslPort,
      timeoutMs: 30_000,
      cwd: folder,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('ships no event-socket password: the published default and an empty one are refused', async () => {
    expect(await readFile(join(INFRA, 'vars.xml'), 'utf8')).not.toMatch(/cluecon/i);
    expect(await eslAuth(eslPort, 'ClueCon')).toBe('-ERR invalid');
    expect(await eslAuth(eslPort, '')).toBe('-ERR invalid');
  });
});
