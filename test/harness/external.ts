/**
 * Starts the external servers the SIP and media suites need (drachtio-server, FreeSWITCH, sipp): through
 * testcontainers when a Docker engine answers, else from a binary on PATH, else the suite is skipped with
 * one line naming what is missing (under CI=true that fails instead: {@link missingServer}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { findOnPath as findOnSearchPath, udpBound } from '../../local-servers/probes.ts';

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

/** `binary`'s path on PATH (or `path`), as the app's single-machine mode looks it up. */
export function findOnPath(binary: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  return findOnSearchPath(binary, path);
}

export async function locate(spec: ExternalSpec): Promise<Provision> {
  if (spec.image !== undefined && (await containerEngineAvailable())) return { via: 'container', image: spec.image };
  const binary = await findOnPath(spec.binary);
  if (binary !== undefined) return { via: 'path', binary };
  const engineNote = spec.image === undefined ? '' : ' and no container engine answers';
  return { via: 'missing', reason: `${spec.name} not available: no \`${spec.binary}\` on PATH${engineNote}` };
}

/** CI must run every suite (.ci/run sets CI=true): there a missing server is a failure, not a skip. */
export const serversRequired = /^(true|1)$/i.test(process.env.CI ?? '');

/**
 * The one place a missing server is reported, by each server's harness when it is imported: one line saying which
 * suites skip and why; under CI=true it throws instead, so every test file that needs the server fails, naming it.
 * @example
 * if (provision.via === 'missing') missingServer('SIP suites', provision.reason);
 */
export function missingServer(suites: string, reason: string): void {
  if (serversRequired) throw new Error(`[harness] CI=true: ${suites} must run but ${reason}`);
  console.warn(`[harness] ${suites} skipped: ${reason}`);
}

/**
 * Ports for the servers and peers suites start. Each test worker draws from its own block below the kernel's
 * ephemeral range (32768+): two workers asking the OS for "any free port" at once could be handed the same one
 * after the first let it go, and a client socket could take it before the server binds.
 */
const PORT_BASE = 20_000;
const PORT_BLOCK = 2_500;
const PORT_BLOCKS = 4;
const portBlock = Number(process.env.VITEST_POOL_ID ?? process.pid) % PORT_BLOCKS;
let portCursor = Math.floor(Math.random() * PORT_BLOCK);

async function tcpFree(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}

async function udpFree(port: number, address: string): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
}

/** A port free on `address` for both TCP and UDP (a SIP server takes both), from this worker's block. */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = PORT_BASE + portBlock * PORT_BLOCK + (portCursor++ % PORT_BLOCK);
    if ((await tcpFree(port, address)) && (await udpFree(port, address))) return port;
  }
  throw new Error(`no free port in ${PORT_BASE + portBlock * PORT_BLOCK}-${PORT_BASE + (portBlock + 1) * PORT_BLOCK - 1}`);
}

/** A port free on `address` for a SIP peer that listens on UDP only (sipp -t u1). */
export const freeUdpPort = freePort;

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

export { udpBound };

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
  // A test or bench process that dies of an uncaught error still runs 'exit' handlers: take the server with it rather
  // than leave it holding ports and CPU (seen: FreeSWITCH and drachtio orphaned by a crashed bench).
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  child.once('exit', () => process.removeListener('exit', orphaned));
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
