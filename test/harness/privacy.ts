/**
 * Privacy test helpers: which tables reference accounts, a search of every text column for a value, and a scan of
 * every column of every schema for what can still be read.
 */
import { sql, type Kysely } from 'kysely';
import { SEALED_PATTERN, type Vault } from '../../core/privacy/vault.ts';
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

/**
 * Where any of `needles` can be read (case-insensitively) in `db`: every column of every table in every schema but
 * the system ones, whatever its type (bytea as escaped text, arrays, json and the rest cast to text), after opening
 * each sealed value inside it with `vault` (a value whose key is gone opens to nothing). Returns, per needle found,
 * the `schema.table.column` list. Reads every row: for test databases only.
 */
export async function readableEverywhere(db: Kysely<Database>, vault: Vault, needles: readonly string[]): Promise<Record<string, string[]>> {
  const columns = await sql<{ schema: string; table: string; column: string; type: string }>`
    select c.table_schema as schema, c.table_name as table, c.column_name as column, c.data_type as type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where t.table_type = 'BASE TABLE'
      and c.table_schema not in ('pg_catalog', 'information_schema') and c.table_schema not like 'pg\\_%'
    order by 1, 2, 3
  `.execute(db);
  const found: Record<string, string[]> = {};
  for (const { schema, table, column, type } of columns.rows) {
    const ref = sql.ref(column);
    const asText = type === 'bytea' ? sql`encode(${ref}, 'escape')` : sql`${ref}::text`;
    const values = await sql<{ value: string }>`select distinct ${asText} as value from ${sql.table(`${schema}.${table}`)} where ${ref} is not null`.execute(
      db,
    );
    for (const { value } of values.rows) {
      const readable = `${value}\n${await openWithin(db, vault, value)}`.toLowerCase();
      for (const needle of needles) {
        if (!readable.includes(needle.toLowerCase())) continue;
        const where = `${schema}.${table}.${column}`;
        found[needle] = [...new Set([...(found[needle] ?? []), where])];
      }
    }
  }
  return found;
}

/**
 * `text` (a column read as text: json, an array) with every sealed value in it opened, or emptied once its key is gone.
 * @example await openWithin(db, vault, '{"reason":"v1.6f1c….Qk3…"}') // '{"reason":"goodwill"}'
 */
export async function openWithin(db: Kysely<Database>, vault: Vault, text: string): Promise<string> {
  const sealed = text.match(SEALED_PATTERN) ?? [];
  const opened = await vault.openAll(db, sealed);
  let next = 0;
  return text.replace(SEALED_PATTERN, () => opened[next++] ?? '');
}
