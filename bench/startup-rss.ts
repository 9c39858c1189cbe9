/**
 * The app's resident memory once started, run through tsx (`node --import tsx main.ts`, as `npm start` ran it before
 * the build step) and compiled (`node dist/main.js`, as `npm start` and the image run it now): each role alone and all
 * three, on an embedded PGlite (a new data folder each run, as a first `npm start`) and with DATABASE_URL (a migrated database on the local Postgres server).
 * Signaling talks to a drachtio-server of its own (from PATH); LOCAL_SERVERS=off, so the process measured is the
 * app alone. RSS is read from /proc two seconds after "Dialo listening" (what the process holds at rest), with its
 * peak so far (VmHWM, which includes migrating). `npm run build:server && npx tsx bench/startup-rss.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_MASTER_KEY } from '../test/harness/api.ts';
import { freshDatabase } from '../test/harness/databases.ts';
import { startDrachtio } from '../test/harness/drachtio.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNNERS = { tsx: ['--import', 'tsx', 'main.ts'], compiled: ['dist/main.js'] } as const;
const ROLE_SETS = ['api', 'signaling', 'jobs', 'api,signaling,jobs'] as const;
const SETTLE_MS = 2000;

async function memoryKb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Starts the app, waits until it listens and settles, reads its memory, stops it. */
function measure(args: readonly string[], env: Record<string, string>): Promise<{ rss: number; peak: number }> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited (${code}) before listening:\n${output}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Dialo listening at ')) return;
      child.stdout.removeAllListeners('data');
      setTimeout(() => {
        void memoryKb(child.pid!).then((memory) => {
          child.removeAllListeners('exit');
          child.once('exit', () => resolve(memory));
          child.kill('SIGTERM');
        }, reject);
      }, SETTLE_MS);
    });
  });
}

const drachtio = await startDrachtio();
const postgres = await freshDatabase('postgres');
const common = {
  HTTP_PORT: '0',
  LOG_LEVEL: 'warn',
  LOCAL_SERVERS: 'off',
  PRIVACY_MASTER_KEY: TEST_MASTER_KEY,
  DRACHTIO_HOST: drachtio.admin.host,
  DRACHTIO_PORT: String(drachtio.admin.port),
  DRACHTIO_SECRET: drachtio.admin.secret,
  SIP_SECRET: 'b'.repeat(40),
};
const scratch = await mkdtemp(join(tmpdir(), 'dialo-rss-'));
let runs = 0;
const databases = {
  'PGlite (data folder)': () => ({ PGLITE_DATA_DIR: join(scratch, String(runs++)) }),
  DATABASE_URL: () => ({ DATABASE_URL: postgres.url! }),
};
const mb = (kb: number) => (kb / 1024).toFixed(0);
try {
  console.log('| roles | database | tsx: RSS (peak), MB | compiled: RSS (peak), MB |\n| --- | --- | ---: | ---: |');
  for (const roles of ROLE_SETS) {
    for (const [database, env] of Object.entries(databases)) {
      const cells: string[] = [];
      for (const args of Object.values(RUNNERS)) {
        const { rss, peak } = await measure(args, { ...common, ...env(), DIALO_ROLES: roles });
        cells.push(`${mb(rss)} (${mb(peak)})`);
      }
      console.log(`| ${roles} | ${database} | ${cells.join(' | ')} |`);
    }
  }
} finally {
  await postgres.close();
  await drachtio.stop();
  await rm(scratch, { recursive: true, force: true });
}
