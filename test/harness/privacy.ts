/** Privacy test helpers: which tables reference accounts, and a search of every text column for a value. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/** Every table with a foreign key to accounts, read from information_schema (plus accounts itself). */
export async function tablesReferencingAccounts(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    select distinct tc.table_name
    from information_schema.table_constraints tc
    join information_schema.constraint_column_usage ccu
      on ccu.constraint_name = tc.constraint_name and ccu.constraint_schema = tc.constraint_schema
    where tc.constraint_type = 'FOREIGN KEY' and ccu.table_name = 'accounts' and tc.table_schema = current_schema()
  `.execute(db);
  return ['accounts', ...result.rows.map((row) => row.table_name)].sort();
}

/** Where `needle` occurs (case-insensitively) in any text, varchar or json column of any table: `table.column` list. */
export async function findEverywhere(db: Kysely<Database>, needle: string): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb')
  `.execute(db);
  const found: string[] = [];
  for (const { table_name: table, column_name: column } of columns.rows) {
    const hit = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)}::text ilike ${`%${needle}%`}`.execute(db);
    if ((hit.rows[0]?.n ?? 0) > 0) found.push(`${table}.${column}`);
  }
  return found;
}
