// COPY streams share the pool with everything else: past COPY_SLOTS at once, a further one waits, and queries still run.
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_SLOTS } from '../../db/connect.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';

// COPY TO STDOUT is Postgres's: PGlite has no such protocol for a client.
describe.skipIf(preferredDialect() !== 'postgres')('COPY streams on the pool', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase('postgres');
  });
  afterAll(async () => {
    await database?.close();
  });

  const drain = async (stream: Readable) => {
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    return text;
  };

  it('runs at most COPY_SLOTS at once; the next starts when one ends, and queries are served meanwhile', async () => {
    const copyOut = database.copyOut!;
    // Streams nobody reads yet: each holds its connection, as a slow download does.
    const held = await Promise.all(Array.from({ length: COPY_SLOTS }, () => copyOut('copy (select generate_series(1, 3)) to stdout')));
    let started = false;
    const next = copyOut('copy (select 42) to stdout').then((stream) => {
      started = true;
      return stream;
    });
    // Everything else still finds a connection, many times over.
    for (let i = 0; i < 20; i++) expect((await sql<{ one: number }>`select 1 as one`.execute(database.db)).rows[0]!.one).toBe(1);
    expect(started).toBe(false);

    expect(await drain(held[0]!)).toBe('1\n2\n3\n');
    expect(await drain(await next)).toBe('42\n');
    for (const stream of held.slice(1)) expect(await drain(stream)).toBe('1\n2\n3\n');
  });

  it('frees the slot of a stream that failed', async () => {
    const copyOut = database.copyOut!;
    for (let i = 0; i < COPY_SLOTS + 1; i++) {
      const stream = await copyOut('copy (select 1 / 0) to stdout');
      stream.resume();
      const [error] = (await once(stream, 'error')) as [Error];
      expect(error.message).toMatch(/division by zero/);
    }
    expect(await drain(await copyOut('copy (select 7) to stdout'))).toBe('7\n');
  });
});
