/**
 * Starts the external servers the SIP and media suites need (drachtio-server, FreeSWITCH, sipp): through
 * testcontainers when a Docker engine answers, else from a binary on PATH, else the suite is skipped with
 * one line naming what is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

export type Provision =
  | { readonly via: 'container'; readonly image: string }
  | { readonly via: 'path'; readonly binary: string }
  | { readonly via: 'missing'; readonly reason: string };

export interface ExternalSpec {
  /** Human name, e.g. `drachtio-server`. */
  readonly name: string;
  /** Executable looked up on PATH, e.g. `drachtio`. */
  readonly binary: string;
  /** Image to run when a container engine answers; omit for tools only used from PATH. */
  readonly image?: string;
}

let engine: Promise<boolean> | undefined;

/** Whether a container engine answers; testcontainers throws within milliseconds when none does. */
export function containerEngineAvailable(): Promise<boolean> {
  engine ??= import('testcontainers')
    .then(({ getContainerRuntimeClient }) => getContainerRuntimeClient())
    .then(
      () => true,
      () => false,
    );
  return engine;
}

export async function findOnPath(binary: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const candidate = join(folder, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export async function locate(spec: ExternalSpec): Promise<Provision> {
  if (spec.image !== undefined && (await containerEngineAvailable())) return { via: 'container', image: spec.image };
  const binary = await findOnPath(spec.binary);
  if (binary !== undefined) return { via: 'path', binary };
  const engineNote = spec.image === undefined ? '' : ' and no container engine answers';
  return { via: 'missing', reason: `${spec.name} not available: no \`${spec.binary}\` on PATH${engineNote}` };
}

/** A port free on loopback right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitForTcp(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns a server and resolves once it listens on `readyPort`; rejects with its output if it exits first. */
export async function spawnServer(
  command: string,
  args: readonly string[],
  options: { readyPort: number; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<RunningProcess> {
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${command} exited (${code ?? signal}) before listening:\n${output}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForTcp(options.readyPort, options.timeoutMs ?? 15_000), exited]).catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** A UDP port free on loopback right now (for a SIP peer that listens on UDP only, like sipp -t u1). */
export async function freeUdpPort(address = '127.0.0.1'): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
