/**
 * sipp (Debian `sip-tester`) as the peer: runs one scenario from test/sipp/ and reports its exit code
 * (0: every call succeeded; 1: at least one failed) with its error log for the failure message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath, missingServer, udpBound } from './external.ts';

export const SCENARIOS = fileURLToPath(new URL('../sipp/', import.meta.url));

export const sippBinary = await findOnPath('sipp');
if (sippBinary === undefined) missingServer('SIP suites', 'sipp not available: no `sipp` on PATH (Debian package sip-tester)');

export interface SippRun {
  readonly code: number | null;
  /** sipp's error log and screen, for the assertion message. */
  readonly log: string;
  /** What the scenario's `<log>` actions wrote (with `-trace_logs`), in full. */
  readonly trace: string;
  /** The CSV files sipp wrote (statistics, response times), by name suffix: `rtt.csv`, `.csv`. */
  readonly csv: { readonly rtt?: string; readonly stat?: string };
}

export interface SippOptions {
  readonly scenario: string;
  readonly target: string;
  readonly transport?: 'u1' | 't1';
  /** Rows of the injection file (fields separated by `;`); sipp reads it SEQUENTIAL. */
  readonly fields?: readonly string[];
  /**
   * What a parametrised scenario expects, as sipp `-key name value` (used as `[name]` in the scenario): for
   * uac-call-refused.xml and uac-carrier-refused.xml, `{ expect: '403', reason: 'no-rate' }`.
   */
  readonly keys?: Readonly<Record<string, string>>;
  readonly calls?: number;
  readonly localAddress?: string;
  /** Local port for a UAC that must send from a known port (a phone registering before it takes calls). */
  readonly localPort?: number;
  readonly timeoutSeconds?: number;
  readonly extraArgs?: readonly string[];
}

export interface RunningSipp {
  /** Resolves when sipp has exited. */
  readonly done: Promise<SippRun>;
  /** Ends sipp now (a peer the test no longer needs); `done` then resolves. */
  stop(): void;
}

/**
 * A scenario made at run time from one in test/sipp/ (a variant of its SDP, say); returns its absolute path.
 * Throws if `transform` changed nothing, so a template that drifted fails loudly.
 */
export async function derivedScenario(template: string, transform: (xml: string) => string): Promise<string> {
  const original = await readFile(join(SCENARIOS, template), 'utf8');
  const derived = transform(original);
  if (derived === original) throw new Error(`deriving from ${template} changed nothing`);
  const file = join(await mkdtemp(join(tmpdir(), 'dialo-scenario-')), template.replace(/\.xml$/, '-derived.xml'));
  await writeFile(file, derived);
  return file;
}

/** Whether a UAS scenario never received a call (sipp's final statistics screen), for "never rung" checks. */
export function receivedNoCall(run: SippRun): boolean {
  return /Incoming calls created \|\s+0\s+\|\s+0\s/.test(run.log);
}

/** Runs one scenario to the end. */
export async function runSipp(options: SippOptions): Promise<SippRun> {
  return (await startSipp(options)).done;
}

/**
 * Starts a scenario and returns once sipp runs: for a UAS peer (a carrier, a phone) that must be listening
 * before the call it answers is placed. Give it `listenPort`; `target` may then be empty.
 */
export async function startSipp(options: SippOptions & { listenPort?: number }): Promise<RunningSipp> {
  if (sippBinary === undefined) throw new Error('sipp not on PATH');
  const folder = await mkdtemp(join(tmpdir(), 'dialo-sipp-'));
  const args = [
    ...(options.target === '' ? [] : [options.target]),
    // Before -sf: sipp substitutes -key values while it parses the scenario.
    ...Object.entries(options.keys ?? {}).flatMap(([name, value]) => ['-key', name, value]),
    // A name in test/sipp/, or an absolute path (a scenario a benchmark derives at run time).
    '-sf',
    resolve(SCENARIOS, options.scenario),
    '-m',
    String(options.calls ?? 1),
    '-t',
    options.transport ?? 'u1',
    '-i',
    options.localAddress ?? '127.0.0.1',
    '-p',
    String(options.listenPort ?? options.localPort ?? 0),
    '-timeout',
    `${options.timeoutSeconds ?? 15}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err',
    '-error_file',
    join(folder, 'errors.log'),
    ...(options.extraArgs ?? []),
  ];
  if (options.fields !== undefined) {
    const injection = join(folder, 'fields.csv');
    await writeFile(injection, `SEQUENTIAL\n${options.fields.join('\n')}\n`);
    args.push('-inf', injection);
  }
  const child = spawn(sippBinary, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = (async (): Promise<SippRun> => {
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exit) => resolve(exit)));
    let log = '';
    let trace = '';
    const csv: { rtt?: string; stat?: string } = {};
    for (const file of await readdir(folder)) {
      if (file.endsWith('_logs.log')) trace = await readFile(join(folder, file), 'utf8');
      if (file.endsWith('.log')) log += await readFile(join(folder, file), 'utf8');
      else if (file.endsWith('_rtt.csv')) csv.rtt = await readFile(join(folder, file), 'utf8');
      else if (file.endsWith('.csv') && file !== 'fields.csv') csv.stat = await readFile(join(folder, file), 'utf8');
    }
    await rm(folder, { recursive: true, force: true });
    return { code, log: `${log.slice(-4000)}\n${screen.slice(-2000)}`, trace, csv };
  })();
  if (options.listenPort !== undefined) await waitForUdp(options.listenPort, child, done);
  return { done, stop: () => void child.kill('SIGKILL') };
}

/** Waits until sipp holds its UDP port (see {@link udpBound}). */
async function waitForUdp(port: number, child: ChildProcess, done: Promise<SippRun>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`sipp exited before listening on UDP port ${port}: ${(await done).log}`);
    if (await udpBound(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sipp did not bind UDP port ${port} within 15 s`);
}
