/**
 * What the SIP benchmarks share: static SIP users written straight to the database, and reading sipp's
 * statistics (`-trace_stat`) and response times (`-trace_rtt`) out of a run.
 */
import { loadavg } from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ha1 } from '../core/accounts/sip-credentials.ts';
import type { Database } from '../db/schema.ts';
import type { SippRun } from '../test/harness/sipp.ts';

/** sipp arguments for a measured run at `rate` calls per second. */
export function loadArgs(rate: number): string[] {
  return ['-r', String(rate), '-l', String(rate * 5), '-trace_stat', '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-recv_timeout', '5000'];
}

/** `count` accounts with static credentials u0..u{count-1} (password "secret"); returns their ids in order. */
export async function createSipUsers(db: Kysely<Database>, count: number, realm: string): Promise<string[]> {
  const accounts = await db
    .insertInto('accounts')
    .values(Array.from({ length: count }, (_, i) => ({ email: `bench${i}@example.org`, status: 'active' as const })))
    .returning('id')
    .execute();
  await db
    .insertInto('sip_credentials')
    .values(
      accounts.map(({ id }, i) => ({
        account_id: id,
        username: `u${i}`,
        realm,
        ha1_md5: ha1('MD5', `u${i}`, realm, 'secret'),
        ha1_sha256: ha1('SHA-256', `u${i}`, realm, 'secret'),
      })),
    )
    .execute();
  return accounts.map(({ id }) => id);
}

/** The last cumulative value of a `-trace_stat` column, e.g. `SuccessfulCall(C)`. */
export function statCounter(run: SippRun, name: string): number {
  const stat = (run.csv.stat ?? '').trim().split('\n');
  const header = (stat[0] ?? '').split(';');
  const last = (stat.at(-1) ?? '').split(';');
  return Number(last[header.indexOf(name)] ?? 0);
}

/** Response times in ms (sorted), of the response-time measure named `rtd` or of all of them. */
export function responseTimes(run: SippRun, rtd?: string): number[] {
  return (run.csv.rtt ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.split(';'))
    .filter((fields) => rtd === undefined || fields[2]?.trim() === rtd)
    .map((fields) => Number(fields[1]))
    .filter((value) => Number.isFinite(value))
    .sort((a, b) => a - b);
}

/** The q-quantile (0..1) of sorted values; NaN when there are none. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** The 1-minute load average, for the results table. */
export function load(): string {
  return loadavg()[0]!.toFixed(1);
}

/**
 * The app's database for a benchmark, instrumented: a Postgres pool of `max` connections whose waiting queue is
 * sampled every 5 ms, and every statement counted with its duration (from sending it to its result, excluding the
 * wait for a connection).
 */
export function instrumentedPostgres(url: string, max: number) {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  let statements: number[] = [];
  let texts = new Map<string, number>();
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      statements.push(event.queryDurationMillis);
      // Only the statement's first words: enough to tell which step ran it, and no values.
      const text = event.query.sql.replace(/\s+/g, ' ').slice(0, 110);
      texts.set(text, (texts.get(text) ?? 0) + 1);
    },
  });
  let waiting: number[] = [];
  const sampler = setInterval(() => waiting.push(pool.waitingCount), 5);
  return {
    db,
    /** Statements run, their p50/p99 ms, and the mean/max of requests waiting for a connection, since the last call. */
    take(): {
      statements: number;
      statementP50: number;
      statementP99: number;
      waitingMean: number;
      waitingMax: number;
      /** How often each statement ran (its first words), most run first. */
      byText: [string, number][];
    } {
      const sorted = statements.sort((a, b) => a - b);
      const result = {
        byText: [...texts].sort((a, b) => b[1] - a[1]),
        statements: sorted.length,
        statementP50: quantile(sorted, 0.5),
        statementP99: quantile(sorted, 0.99),
        waitingMean: waiting.reduce((sum, n) => sum + n, 0) / Math.max(1, waiting.length),
        waitingMax: Math.max(0, ...waiting),
      };
      statements = [];
      texts = new Map();
      waiting = [];
      return result;
    },
    async close(): Promise<void> {
      clearInterval(sampler);
      await db.destroy();
    },
  };
}
