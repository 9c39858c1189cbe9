/** Spawns the app as a real process (compiled main.ts, as `npm start` runs it) and reads what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dialo = fileURLToPath(new URL('../../cli/dialo.js', import.meta.url));

/**
 * Node's arguments to run the app as `npm start` does: main.ts compiled by `npm run build:server`, which the suite's
 * global setup (test/harness/build-server.ts) runs before any test, so it is never older than the sources.
 */
export const APP_ARGS = ['dist/main.js'] as const;

export interface AppProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** Resolves with the printed URL once the API listens. */
  readonly url: Promise<string>;
}

export function startApp(env: Record<string, string>): AppProcess {
  // A clean environment: only what the test says, plus what a process needs to run at all. Node itself, not npm: a
  // SIGKILL reaches the app, with no wrapper process left alive.
  const child = spawn(process.execPath, APP_ARGS, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Dialo listening at (\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`app exited (${code}) before listening:\n${stderr}${stdout}`)));
  });
  url.catch(() => undefined);
  return { child, stdout: () => stdout, stderr: () => stderr, exited, url };
}

export interface DialoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the `dialo` bin (cli/dialo.js) as an operator runs it, to its end, in a clean environment; `stdin` is written
 * to it (a trunk's password). With `time`, under GNU time: `peakRssKb` is the child's peak resident memory.
 */
export function runDialo(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly stdin?: string; readonly time?: boolean } = {},
): Promise<DialoRun & { readonly peakRssKb?: number }> {
  const command = [process.execPath, dialo, ...args];
  const [file, ...rest] = options.time === true ? ['/usr/bin/time', '-f', 'peak-rss-kb %M', ...command] : command;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, rest, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    // A program that cannot start (no /usr/bin/time: Debian package `time`) fails the test naming it, not a hang.
    child.on('error', (error) => reject(new Error(`cannot run ${file}: ${error.message}`)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.stdin ?? '');
    child.on('close', (code) => {
      const rss = /^peak-rss-kb (\d+)\n/m.exec(stderr);
      if (rss === null) return resolve({ code, stdout, stderr });
      resolve({ code, stdout, stderr: stderr.replace(rss[0], ''), peakRssKb: Number(rss[1]) });
    });
  });
}
