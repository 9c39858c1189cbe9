import { sql, type Kysely } from 'kysely';

/**
 * The ledger is append-only and the cached balance is maintained by the database itself: inserting an
 * entry adds it to `account_balances` in the same statement, UPDATE/DELETE of entries is refused, and
 * `balance` cannot be changed except by that trigger. So balance = sum(entries) holds by construction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account_balances')
    .addColumn('account_id', 'uuid', (col) => col.primaryKey().references('accounts.id').onDelete('restrict'))
    // Micro-units; may go negative only through refunds/disputes (money that already left).
    .addColumn('balance', 'bigint', (col) => col.notNull().defaultTo(0))
    // Number of entries summed into `balance`: a cheap version for "has anything changed".
    .addColumn('entries', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('restrict'))
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('top_up', 'call_charge', 'refund', 'dispute', 'adjustment')`))
    .addColumn('amount', 'bigint', (col) => col.notNull())
    // What the entry is for (a payment intent, refund, dispute or reservation id): at most one entry each.
    .addColumn('reference', 'text')
    .addColumn('reason', 'text')
    .addColumn('actor_account_id', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('ledger_entries_account_idx').on('ledger_entries').columns(['account_id', 'id']).execute();
  await db.schema
    .createIndex('ledger_entries_reference_key')
    .on('ledger_entries')
    .columns(['kind', 'reference'])
    .unique()
    .where(sql.ref('reference'), 'is not', null)
    .execute();

  await sql`
    create function ledger_entries_apply() returns trigger language plpgsql as $$
    begin
      insert into account_balances (account_id, balance, entries) values (new.account_id, new.amount, 1)
      on conflict (account_id) do update
        set balance = account_balances.balance + excluded.balance,
            entries = account_balances.entries + 1,
            updated_at = now();
      return new;
    end $$`.execute(db);
  await sql`create trigger ledger_entries_apply after insert on ledger_entries for each row execute function ledger_entries_apply()`.execute(db);

  await sql`
    create function ledger_entries_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger_entries is append-only' using errcode = 'check_violation';
    end $$`.execute(db);
  await sql`create trigger ledger_entries_append_only before update or delete on ledger_entries for each row execute function ledger_entries_append_only()`.execute(
    db,
  );

  // Only the insert trigger above (depth 2) may move a balance; a direct UPDATE (depth 1) is refused.
  await sql`
    create function account_balances_guard() returns trigger language plpgsql as $$
    begin
      if pg_trigger_depth() < 2 and (new.balance <> old.balance or new.entries <> old.entries) then
        raise exception 'account_balances.balance changes only through ledger_entries' using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger account_balances_guard before update on account_balances for each row execute function account_balances_guard()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ledger_entries').execute();
  await db.schema.dropTable('account_balances').execute();
  await sql`drop function ledger_entries_apply()`.execute(db);
  await sql`drop function ledger_entries_append_only()`.execute(db);
  await sql`drop function account_balances_guard()`.execute(db);
}
