import { sql, type Kysely } from 'kysely';

/**
 * Operator free text about an account (ledger reasons, legal-hold reasons) may name the person, so erasure must be
 * able to clear it. The ledger stays append-only for everything else: an UPDATE is let through only when it sets
 * `reason` to null, changes no other column, and runs in a transaction that declared it is erasing
 * (`set_config('dialo.erasing_reasons', 'on', true)`, core/privacy/sources/billing.ts). Amounts never change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function ledger_entries_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and current_setting('dialo.erasing_reasons', true) = 'on' and new.reason is null
         and to_jsonb(new) - 'reason' = to_jsonb(old) - 'reason' then
        return new;
      end if;
      raise exception 'ledger_entries is append-only' using errcode = 'check_violation';
    end $$`.execute(db);
  // Null once erased (the hold itself, who placed and lifted it and when, stays).
  await sql`alter table legal_holds alter column reason drop not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update legal_holds set reason = '' where reason is null`.execute(db);
  await sql`alter table legal_holds alter column reason set not null`.execute(db);
  await sql`
    create or replace function ledger_entries_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger_entries is append-only' using errcode = 'check_violation';
    end $$`.execute(db);
}
