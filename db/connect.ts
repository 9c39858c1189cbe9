/**
 * Opens the database a {@link DatabaseConfig} names: Postgres through `pg`, or PGlite in-process (the embedded default).
 * Both return int8 columns as JS numbers (money in minor units, identity ids), failing loudly on a value
 * beyond 2^53 rather than rounding it.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Readable } from 'node:stream';
import { Kysely, PostgresDialect, type Dialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database } from './schema.ts';

/** Which database to open; config.ts builds it from DATABASE_URL / PGLITE_DATA_DIR. */
export type DatabaseConfig =
  | { readonly kind: 'postgres'; readonly url: string }
  /** `dataDir` is a folder, or `memory://` for a throw-away in-process database. */
  | { readonly kind: 'pglite'; readonly dataDir: string };

export type DialectName = DatabaseConfig['kind'];

/**
 * Runs `COPY (...) TO STDOUT` on a connection of its own and streams what the server writes, at the server's own
 * speed; the connection goes back to the pool when the stream ends or fails. COPY takes no parameters: the
 * statement must carry its values as literals.
 */
export type CopyOut = (statement: string) => Promise<Readable>;

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** On Postgres only: PGlite has no COPY TO STDOUT protocol for a client. */
  readonly copyOut: CopyOut | undefined;
  /** Closes the pool or the embedded database; safe to call twice. */
  close(): Promise<void>;
}

const INT8_OID = 20;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} does not fit a JS number`);
  return value;
}

export interface ConnectOptions {
  /**
   * Told when the server drops an idle pooled connection (a restart, a failover, an administrator): the pool
   * replaces it. Without a listener pg would raise it as an uncaught error and end the process.
   */
  readonly onConnectionLost?: (error: Error) => void;
}

function postgresPool(url: string, options: ConnectOptions): pg.Pool {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, types, max: POOL_SIZE });
  const lost = options.onConnectionLost ?? (() => undefined);
  pool.on('error', lost);
  // The pool listens on idle connections only: one in use when the server dies (a query or transaction under way)
  // emits 'error' with nobody listening, which would end the process. Its query fails on its own; the loss is told
  // once, here for a connection in use and by the pool for an idle one.
  const inUse = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => inUse.add(client));
  pool.on('release', (_error, client) => inUse.delete(client));
  pool.on('connect', (client) => client.on('error', (error) => inUse.has(client) && lost(error)));
  return pool;
}

/**
 * COPY streams at once per pool of {@link POOL_SIZE}. A stream holds its connection for as long as its reader takes
 * (a slow download), and the CDR export reads account keys on the side: the rest of the pool stays for calls,
 * logins and those reads, and a further export waits its turn.
 */
export const COPY_SLOTS = 3;
const POOL_SIZE = 10;

function copyOutOf(pool: pg.Pool): CopyOut {
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = () => (running < COPY_SLOTS ? (running++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const freeSlot = () => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  };
  return async (statement) => {
    await slot();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      freeSlot();
      throw error;
    }
    const stream = client.query(copyTo(statement));
    let released = false;
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      // A connection whose COPY failed midway may hold an unfinished protocol exchange: it is not reused.
      client.release(error);
      freeSlot();
    };
    stream.once('end', () => release());
    stream.once('error', (error) => release(error));
    stream.once('close', () => release(stream.readableEnded ? undefined : new Error('copy stream closed before its end')));
    return stream;
  };
}

function pgliteDialect(dataDir: string): Dialect {
  if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true });
  return new PGliteDialect(new PGlite(dataDir, { parsers: { [INT8_OID]: parseInt8 } }));
}

/**
 * @example
 * const { db, close } = connectDatabase({ kind: 'pglite', dataDir: 'memory://' });
 * await db.selectFrom('accounts').selectAll().execute();
 * await close();
 */
export function connectDatabase(config: DatabaseConfig, options: ConnectOptions = {}): DatabaseHandle {
  let pool: pg.Pool | undefined;
  let dialect: Dialect;
  if (config.kind === 'postgres') {
    pool = postgresPool(config.url, options);
    dialect = new PostgresDialect({ pool });
  } else {
    dialect = pgliteDialect(config.dataDir);
  }
  const db = new Kysely<Database>({ dialect });
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect: config.kind,
    copyOut: pool === undefined ? undefined : copyOutOf(pool),
    close: () => (closing ??= db.destroy()),
  };
}

/** Connection-level SQLSTATEs (class 08) and the server going away or not yet up (57P01–57P03). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123])$/;
const UNAVAILABLE_SOCKET = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'];

/**
 * Whether an error means the database cannot be reached right now, rather than that a query was wrong: what a
 * request handler answers as "try again later" (SIP 503 + Retry-After) instead of an internal error.
 * @example isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) // true
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.includes(code))) return true;
  // pg's own wording when the server drops a connection in use; it carries no code.
  return typeof message === 'string' && /^Connection terminated/.test(message);
}
