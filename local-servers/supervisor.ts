/**
 * Runs one server binary as a child and keeps it running: a crash is restarted with backoff, its output is kept
 * (labelled, appended) in one log file, and `stop()` ends it for good. Knows nothing of which server it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import type { Logger } from '../logger.ts';

export interface ChildSpec {
  /** Short name: the log label and `<logs>/<name>.log`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly logFile: string;
  /** True once the server serves (a port answers); polled after each start. */
  ready(): Promise<boolean>;
  /** How long a start may take to become ready. */
  readonly readyTimeoutMs: number;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A child that ran this long before it died is restarted after `initialMs` again. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

export interface Supervised {
  readonly name: string;
  /** The running child's PID, if one runs. */
  pid(): number | undefined;
  /** Resolves once a start is ready; rejects when none is within `readyTimeoutMs` of the first (supervision goes on). */
  readonly firstReady: Promise<void>;
  /** Stops supervising and ends the child: SIGTERM, then SIGKILL after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<void>;
}

const POLL_MS = 100;

/**
 * util-linux's setpriv, when there: it asks the kernel to send the child SIGTERM when this process dies (prctl
 * PR_SET_PDEATHSIG), then execs the server in its place (same PID). Exit handlers do not run on SIGKILL, so without
 * it a killed app would leave its servers holding their ports.
 */
const SETPRIV = (() => {
  try {
    accessSync('/usr/bin/setpriv', constants.X_OK);
    return '/usr/bin/setpriv';
  } catch {
    return undefined;
  }
})();

function launch(spec: ChildSpec): ChildProcess {
  const [command, args] = SETPRIV === undefined ? [spec.command, spec.args] : [SETPRIV, ['--pdeathsig', 'TERM', '--', spec.command, ...spec.args]];
  return spawn(command, args, { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface SuperviseOptions {
  readonly backoff?: Backoff;
  /** Aborted when the app shuts down: the child is stopped, and one that exits meanwhile is not restarted. */
  readonly shutdown?: AbortSignal;
}

export function supervise(spec: ChildSpec, logger: Logger, options: SuperviseOptions = {}): Supervised {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  const label = (line: string) => `${new Date().toISOString()} [${spec.name}] ${line}\n`;
  let child: ChildProcess | undefined;
  let stopping = false;
  let delayMs = backoff.initialMs;
  let restartTimer: NodeJS.Timeout | undefined;
  let markFirstReady: (() => void) | undefined;
  let failFirstReady: ((error: Error) => void) | undefined;
  const firstReady = new Promise<void>((resolve, reject) => {
    markFirstReady = resolve;
    failFirstReady = reject;
  });
  firstReady.catch(() => undefined);

  // A dying app (uncaught error, process.exit) still runs 'exit' handlers, synchronously: take the child with it.
  const orphaned = () => child?.kill('SIGKILL');
  process.on('exit', orphaned);

  // From the first start, whatever happens meanwhile: a child that keeps crashing at once is never ready either.
  const readyTimer = setTimeout(() => failFirstReady?.(new Error(`${spec.name} not ready within ${spec.readyTimeoutMs} ms`)), spec.readyTimeoutMs);
  void firstReady.then(
    () => clearTimeout(readyTimer),
    () => clearTimeout(readyTimer),
  );

  const watchReadiness = async (started: ChildProcess, startedAt: number) => {
    while (child === started && !stopping) {
      if (await spec.ready().catch(() => false)) {
        if (child !== started) return;
        logger.info({ server: spec.name, pid: started.pid, ms: Date.now() - startedAt }, 'local server ready');
        log.write(label(`ready after ${Date.now() - startedAt} ms`));
        markFirstReady?.();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  const start = () => {
    restartTimer = undefined;
    if (stopping) return;
    const startedAt = Date.now();
    const started = launch(spec);
    child = started;
    log.write(label(`started ${spec.command} (pid ${started.pid ?? '?'})`));
    for (const stream of [started.stdout, started.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) log.write(label(line));
      });
    }
    started.once('error', (error) => log.write(label(`could not run: ${error.message}`)));
    started.once('close', (code, signal) => {
      if (child === started) child = undefined;
      log.write(label(`exited (${code ?? signal})`));
      // A child that exits while the app shuts down (Ctrl-C signals the whole process group) is not restarted.
      if (stopping) return;
      const ranMs = Date.now() - startedAt;
      delayMs = ranMs >= backoff.resetAfterMs ? backoff.initialMs : delayMs;
      logger.warn({ server: spec.name, code, signal, restartInMs: delayMs }, 'local server exited; restarting');
      restartTimer = setTimeout(start, delayMs);
      delayMs = Math.min(delayMs * 2, backoff.maxMs);
    });
    void watchReadiness(started, startedAt);
  };
  start();

  let stopped: Promise<void> | undefined;
  // Once: the app's shutdown signal and its explicit stop() may both ask.
  const stop = (killAfterMs = 5000) => (stopped ??= end(killAfterMs));
  const end = async (killAfterMs: number) => {
    stopping = true;
    if (restartTimer !== undefined) clearTimeout(restartTimer);
    failFirstReady?.(new Error(`${spec.name} stopped before it was ready`));
    // Until 'close' (which writes to the log): a child the same Ctrl-C already ended may not have closed its pipes yet.
    const running = child;
    if (running !== undefined) {
      const closed = new Promise((resolve) => running.once('close', resolve));
      const alive = running.exitCode === null && running.signalCode === null;
      if (alive) running.kill('SIGTERM');
      const kill = alive ? setTimeout(() => running.kill('SIGKILL'), killAfterMs) : undefined;
      await closed;
      clearTimeout(kill);
    }
    process.removeListener('exit', orphaned);
    await new Promise((resolve) => log.end(resolve));
  };
  if (options.shutdown?.aborted) void stop();
  options.shutdown?.addEventListener('abort', () => void stop(), { once: true });

  return { name: spec.name, pid: () => child?.pid, firstReady, stop };
}
