/**
 * Every text column of the data is decided: sealed under its account's key, or plain with a reason
 * (core/privacy/sealed-columns.ts). A new column fails here until someone decides which.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_COLUMNS, SEALED_COLUMNS } from '../../../core/privacy/sealed-columns.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';

describe('sealed and plain columns', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
  });
  afterAll(async () => {
    await database?.close();
  });

  /** `table.column` of every column of the data that can hold text: text, varchar, char, json, jsonb and their arrays. */
  async function textColumns(): Promise<string[]> {
    const result = await sql<{ name: string }>`
      select c.table_name || '.' || c.column_name as name
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
        and c.udt_name in ('text', 'varchar', 'bpchar', 'json', 'jsonb', '_text', '_varchar', '_bpchar', '_json', '_jsonb')
      order by 1
    `.execute(database.db);
    return result.rows.map((row) => row.name);
  }

  it('lists every text column of the public schema as sealed or as plain with a reason', async () => {
    const columns = await textColumns();
    const undecided = columns.filter((column) => !(column in SEALED_COLUMNS) && !(column in PLAIN_COLUMNS));
    expect(
      undecided,
      'decide for each: personal data goes in SEALED_COLUMNS (and its writers seal it with the vault), anything else in ' +
        'PLAIN_COLUMNS with a one-line reason, both in core/privacy/sealed-columns.ts',
    ).toEqual([]);
  });

  it('names no column that does not exist, none twice, and gives each a one-line reason', async () => {
    const columns = new Set(await textColumns());
    const listed = [...Object.keys(SEALED_COLUMNS), ...Object.keys(PLAIN_COLUMNS)];
    expect(
      listed.filter((column) => !columns.has(column)),
      'no such text column any more: remove it from core/privacy/sealed-columns.ts',
    ).toEqual([]);
    expect(Object.keys(SEALED_COLUMNS).filter((column) => column in PLAIN_COLUMNS)).toEqual([]);
    const reasons = [...Object.entries(SEALED_COLUMNS), ...Object.entries(PLAIN_COLUMNS)];
    expect(reasons.filter(([, reason]) => reason.trim() === '' || reason.includes('\n')).map(([column]) => column)).toEqual([]);
  });
});
