// CI runs every suite: .ci/servers (run by .ci/run) installs drachtio-server and FreeSWITCH when missing and fails,
// naming each one, when a server is still missing; under CI=true the harness fails a suite instead of skipping it.
// Both run here as real processes, with a PATH of stand-ins built per test.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findOnPath } from '../harness/external.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'dialo-ci-'));
  folders.push(folder);
  return folder;
}

/** A folder of executables that do nothing, one per name. */
async function standIns(names: readonly string[]): Promise<string> {
  const bin = await tempFolder();
  for (const name of names) {
    await writeFile(join(bin, name), '#!/bin/sh\nexit 0\n');
    await chmod(join(bin, name), 0o755);
  }
  return bin;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('.ci/servers', () => {
  /** Runs the script with only `bin` on PATH, a stand-in install script (which records that it ran) and a stand-in browser. */
  async function servers(onPath: readonly string[]) {
    const bash = await findOnPath('bash');
    if (bash === undefined) throw new Error('no bash on PATH');
    const bin = await standIns(onPath);
    const tools = await standIns(['chromium']);
    const install = join(await tempFolder(), 'install');
    // Installs nothing: a machine where the shared install cannot help.
    await writeFile(install, `#!/bin/sh\necho installing nothing > "${install}.ran"\n`);
    await chmod(install, 0o755);
    const result = await run(bash, [join(root, '.ci/servers')], { PATH: bin, DIALO_SERVERS_INSTALL: install, DIALO_CHROMIUM: join(tools, 'chromium') });
    return { ...result, installRan: await exists(`${install}.ran`) };
  }

  it('without drachtio it runs the install script, then exits 1 naming drachtio-server (and only what is missing)', async () => {
    const result = await servers(['freeswitch', 'sipp', 'turnserver']);
    expect(result.installRan).toBe(true);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('ci: drachtio-server missing after install (drachtio not on PATH)');
    expect(result.output).not.toMatch(/FreeSWITCH missing|sipp missing|coturn missing|chromium missing/);
  });

  it('names every missing server, one line each', async () => {
    const result = await servers(['freeswitch']);
    expect(result.code, result.output).toBe(1);
    expect(result.output.split('\n').filter((line) => / missing after install /.test(line))).toEqual([
      'ci: drachtio-server missing after install (drachtio not on PATH)',
      'ci: sipp missing after install (sipp not on PATH)',
      'ci: coturn missing after install (turnserver not on PATH)',
    ]);
  });

  it('with every server present it installs nothing and exits 0', async () => {
    const result = await servers(['drachtio', 'freeswitch', 'sipp', 'turnserver']);
    expect(result.installRan).toBe(false);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toMatch(/missing/);
  });
});

describe('the harness under CI=true', () => {
  /** Imports sipp's harness in a child process whose PATH has node and nothing else (so no sipp). */
  async function importSippHarness(env: NodeJS.ProcessEnv) {
    const bin = await tempFolder();
    await symlink(process.execPath, join(bin, 'node'));
    return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "await import('./test/harness/sipp.ts'); console.log('imported');"], {
      PATH: bin,
      HOME: process.env.HOME ?? '/tmp',
      ...env,
    });
  }

  it('fails a suite whose server is missing, naming it', async () => {
    const result = await importSippHarness({ CI: 'true' });
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toContain('[harness] CI=true: SIP suites must run but sipp not available: no `sipp` on PATH');
    expect(result.output).not.toContain('imported');
  });

  it('elsewhere prints the one-line skip and goes on', async () => {
    const result = await importSippHarness({});
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('[harness] SIP suites skipped: sipp not available: no `sipp` on PATH (Debian package sip-tester)');
    expect(result.output).toContain('imported');
  });
});
