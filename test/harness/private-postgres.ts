/**
 * A Postgres server of the suite's own (initdb into a temporary folder, `postgres` on a free loopback port), so a
 * test can kill it mid-call and start it again on the same data, which the machine's shared server must never be.
 * Postgres refuses to run as root: run as root, it is started as the `postgres` user through setpriv.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, findOnPath, missingServer, waitForTcp } from './external.ts';

export interface PrivatePostgres {
  readonly url: string;
  /** SIGKILL: no shutdown, no checkpoint, as a crash or a pulled cable. */
  kill(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const initdb = await findOnPath('initdb');
const postgresBinary = await findOnPath('postgres');
/** Why no private server can run here, if so. */
export const privatePostgresMissing = initdb === undefined || postgresBinary === undefined ? 'no initdb/postgres on PATH' : undefined;
// Under CI=true a suite that needs it and cannot have it fails the run rather than skip.
if (privatePostgresMissing !== undefined) missingServer('Postgres fault suites', privatePostgresMissing);

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (initdb === undefined || postgresBinary === undefined) throw new Error(privatePostgresMissing);
  const folder = await mkdtemp(join(tmpdir(), 'dialo-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = (binary: string, args: string[]) =>
    asRoot ? (['setpriv', ['--reuid=postgres', '--regid=postgres', '--clear-groups', binary, ...args]] as const) : ([binary, args] as const);
  if (asRoot) {
    const id = async (flag: string) => Number((await promisify(execFile)('id', [flag, 'postgres'])).stdout);
    await chown(folder, await id('-u'), await id('-g'));
  }
  const data = join(folder, 'data');
  const [initCommand, initArgs] = run(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  await promisify(execFile)(initCommand, [...initArgs]);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const [command, args] = run(postgresBinary, ['-D', data, '-p', String(port), '-k', folder, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
    child = spawn(command, [...args], { stdio: 'ignore' });
    await waitForTcp(port, 20_000);
  };
  const kill = async () => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((exited) => {
      running.once('exit', () => exited());
      running.kill('SIGKILL');
    });
  };
  await start();
  process.once('exit', () => child?.kill('SIGKILL'));
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kill,
    start,
    async stop() {
      await kill();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
