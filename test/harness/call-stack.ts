/**
 * A signaling stack on a fresh database (the preferred dialect) for one describe block of call suites: started
 * before its tests with the suite's env and fixtures, trunks cleared after each test, stopped after the block.
 */
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Database } from '../../db/schema.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from './databases.ts';
import { startSignalingStack, type SignalingStack, type StackOptions } from './signaling.ts';

export interface CallStack {
  readonly database: TestDatabase;
  readonly stack: SignalingStack;
}

/**
 * @example
 * const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '3' }, (db) => createRate(db, ...));
 * it('...', () => runSipp({ target: suite.stack.target, ... }));
 */
export function useCallStack(
  env: Record<string, string> | (() => Record<string, string>),
  setUp: (db: Kysely<Database>) => Promise<unknown> = async () => undefined,
  options: () => StackOptions = () => ({}),
): CallStack {
  let database: TestDatabase | undefined;
  let stack: SignalingStack | undefined;
  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    // A function: values only known once an earlier hook ran (a media server's port).
    const suiteEnv = typeof env === 'function' ? env() : env;
    stack = await startSignalingStack(
      database,
      { CALLER_ID_DEFAULT: '+14155550199', ...suiteEnv, ...(process.env.CALLS_LOG ? { LOG_LEVEL: 'debug' } : {}) },
      options(),
    );
    await setUp(database.db);
  });
  afterEach(async () => {
    await database?.db.deleteFrom('trunks').execute();
    await stack?.signaling.refreshCaches();
  });
  afterAll(async () => {
    await stack?.stop();
    await database?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('call stack not started: use it inside a test or hook');
    return value;
  };
  return {
    get database() {
      return ready(database);
    },
    get stack() {
      return ready(stack);
    },
  };
}
