// A Postgres server dropping idle pooled connections (restart, failover, pg_terminate_backend) must not end the
// process: the loss is reported and the next query gets a fresh connection.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectDatabase, isDatabaseUnavailable, type DatabaseHandle } from '../../db/connect.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';

describe.skipIf(preferredDialect() !== 'postgres')('a lost Postgres connection', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const lost: Error[] = [];

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    handle = connectDatabase({ kind: 'postgres', url: database.url! }, { onConnectionLost: (error) => lost.push(error) });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.close();
  });

  it('is reported, and the pool carries on with a new connection', async () => {
    const first = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
    const pid = first.rows[0]!.pid;
    // Terminated from another connection while the pool's one sits idle.
    await sql`select pg_terminate_backend(${pid})`.execute(database.db);
    await vi.waitFor(() => expect(lost).toHaveLength(1));
    expect((lost[0] as Error & { code?: string }).code).toBe('57P01');
    // What handlers answer "try again later" for; a query that is wrong is not that.
    expect(isDatabaseUnavailable(lost[0])).toBe(true);
    expect(isDatabaseUnavailable(await sql`select * from no_such_table`.execute(handle.db).catch((error: unknown) => error))).toBe(false);

    const next = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
    expect(next.rows[0]!.pid).not.toBe(pid);
  });

  it('in use when the server drops it (a transaction between statements): the loss is told once, the transaction fails, the process lives on', async () => {
    lost.length = 0;
    const transaction = handle.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      // Checked out of the pool and between statements: nobody but our listener hears its 'error'.
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(database.db);
      await vi.waitFor(() => expect(lost).toHaveLength(1));
      await sql`select 1`.execute(trx);
    });
    await expect(transaction).rejects.toThrow();
    expect(isDatabaseUnavailable(lost[0])).toBe(true);
    expect((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows).toEqual([{ one: 1 }]);
  });
});
