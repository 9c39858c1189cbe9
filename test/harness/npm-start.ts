/**
 * `npm start` exactly as a newcomer runs it (the softphone build, then the app with its own local servers), in a clean
 * environment with a data folder of its own, and the process tree it grows, to check that nothing outlives it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { descendantsOf } from './processes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface NpmStart {
  readonly child: ChildProcess;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  /** Resolves with the printed URL once the API listens. */
  readonly url: Promise<string>;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** PIDs of every process below `npm start` right now (the app, drachtio-server, FreeSWITCH, ...), with their names. */
  descendants(): Promise<Map<number, string>>;
  /** SIGTERM to npm, as a service manager would; resolves with npm's exit code once it has exited. */
  stop(): Promise<number | string>;
  /** Ctrl-C as a terminal sends it: SIGINT to the whole process group; resolves with npm's exit code. */
  interrupt(): Promise<number | string>;
  /** SIGKILL to the whole process group: cleanup after a failed test, nothing graceful. */
  kill(): void;
}

export function npmStart(env: Record<string, string>): NpmStart {
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal's foreground job: what a Ctrl-C reaches, and what cleanup kills.
    detached: true,
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Dialo listening at (\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    void exited.then((code) => reject(new Error(`npm start exited (${code}) before listening:\n${output}`)));
  });
  url.catch(() => undefined);
  // A test that fails half-way must not leave a whole stack running.
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  const orphaned = kill;
  process.once('exit', orphaned);
  child.once('exit', () => process.removeListener('exit', orphaned));
  return {
    child,
    output: () => output,
    url,
    exited,
    descendants: () => descendantsOf(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async interrupt() {
      process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
    kill,
  };
}
