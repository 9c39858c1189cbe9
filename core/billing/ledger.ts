/**
 * The credit ledger: append-only entries in micro-units; an account's balance is their sum. The cached
 * `account_balances.balance` is kept by a database trigger on insert (see migration 0011), and every
 * money change first locks the account's balance row, so changes to one account run one at a time.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, LedgerEntry, LedgerEntryKind } from '../../db/schema.ts';
import { inTransaction } from '../../db/transaction.ts';
import { micros, type Micros } from '../money.ts';
import type { Vault } from '../privacy/vault.ts';

export interface NewEntry {
  readonly accountId: string;
  readonly kind: LedgerEntryKind;
  /** Signed: credits positive, charges/refunds/disputes negative. */
  readonly amount: Micros;
  /** The payment intent, refund, dispute or reservation the entry is for: one entry per kind and reference. */
  readonly reference?: string;
  readonly reason?: string;
  readonly actorAccountId?: string | null;
}

/**
 * Locks the account's balance row for the rest of the transaction (creating it at zero if needed) and
 * returns the balance. Must run inside a transaction.
 * @example await db.transaction().execute(async (trx) => lockBalance(trx, accountId));
 */
export async function lockBalance(trx: Kysely<Database>, accountId: string): Promise<Micros> {
  if (!trx.isTransaction) throw new Error('lockBalance needs a transaction');
  const lock = () => trx.selectFrom('account_balances').select('balance').where('account_id', '=', accountId).forUpdate().executeTakeFirst();
  // One statement for an account that has its row (every one after its first money event).
  const existing = await lock();
  if (existing !== undefined) return micros(existing.balance);
  await trx
    .insertInto('account_balances')
    .values({ account_id: accountId })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
  const created = await lock();
  if (created === undefined) throw new Error(`no balance row for ${accountId}`);
  return micros(created.balance);
}

/**
 * Appends one entry under the account's lock. With a reference that already has an entry of this kind,
 * nothing is written and null is returned (a repeat of the same payment event or settlement).
 * @example await appendEntry(db, { accountId, kind: 'top_up', amount: micros(10_000_000), reference: 'pi_123' });
 */
export async function appendEntry(db: Kysely<Database>, entry: NewEntry): Promise<LedgerEntry | null> {
  return inTransaction(db, async (trx) => {
    await lockBalance(trx, entry.accountId);
    return insertLockedEntry(trx, entry);
  });
}

/** {@link appendEntry} for a caller that already holds the account's lock (see {@link lockBalance}). */
export async function insertLockedEntry(trx: Kysely<Database>, entry: NewEntry): Promise<LedgerEntry | null> {
  const written = await trx
    .insertInto('ledger_entries')
    .values({
      account_id: entry.accountId,
      kind: entry.kind,
      amount: entry.amount,
      reference: entry.reference ?? null,
      reason: entry.reason ?? null,
      actor_account_id: entry.actorAccountId ?? null,
    })
    .onConflict((conflict) => conflict.columns(['kind', 'reference']).where('reference', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  return written ?? null;
}

export interface Balance {
  readonly balance: Micros;
  /** Held by calls in progress. */
  readonly reserved: Micros;
  /** What a new call may use: balance minus reserved. */
  readonly available: Micros;
}

/** @example const { available } = await balanceOf(db, accountId); */
export async function balanceOf(db: Kysely<Database>, accountId: string): Promise<Balance> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('account_balances').select('balance').where('account_id', '=', accountId).as('balance'),
      eb
        .selectFrom('reservations')
        .select((inner) => inner.fn.coalesce(inner.fn.sum<number>('hold'), sql<number>`0`).as('reserved'))
        .where('account_id', '=', accountId)
        .where('status', '=', 'active')
        .as('reserved'),
    ])
    .executeTakeFirstOrThrow();
  const balance = micros(Number(row.balance ?? 0));
  const reserved = micros(Number(row.reserved ?? 0));
  return { balance, reserved, available: micros(balance - reserved) };
}

/**
 * An account's entries, newest first, a page at a time: pass the last id of a page as `beforeId`. Reasons opened
 * (an operator's are sealed: {@link adjust}).
 * @example const page = await ledgerHistory(db, vault, accountId, { limit: 50 });
 */
export async function ledgerHistory(db: Kysely<Database>, vault: Vault, accountId: string, page: { limit: number; beforeId?: number }): Promise<LedgerEntry[]> {
  let query = db.selectFrom('ledger_entries').selectAll().where('account_id', '=', accountId);
  if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
  const entries = await query.orderBy('id', 'desc').limit(page.limit).execute();
  const reasons = await vault.openAll(
    db,
    entries.map((entry) => entry.reason),
  );
  return entries.map((entry, i) => ({ ...entry, reason: reasons[i] ?? null }));
}

export class AdjustmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdjustmentError';
  }
}

/**
 * An operator's manual credit or debit, with a reason, audited (`billing.adjustment`) in the same transaction. The
 * reason may name the person: the entry and the event hold it sealed under the account's key; the entry returned
 * holds it plain.
 * @example await adjust(db, vault, { accountId, amount: micros(5_000_000), reason: 'goodwill', actorAccountId: operatorId });
 */
export async function adjust(
  db: Kysely<Database>,
  vault: Vault,
  adjustment: { accountId: string; amount: Micros; reason: string; actorAccountId: string | null },
): Promise<LedgerEntry> {
  const plain = adjustment.reason.trim();
  if (plain === '') throw new AdjustmentError('an adjustment needs a reason');
  if (adjustment.amount === 0) throw new AdjustmentError('an adjustment of zero changes nothing');
  return inTransaction(db, async (trx) => {
    const reason = await vault.seal(trx, adjustment.accountId, plain);
    const entry = await appendEntry(trx, { ...adjustment, reason, kind: 'adjustment' });
    if (entry === null) throw new Error('unreachable: an adjustment has no reference');
    await trx
      .insertInto('audit_events')
      .values({
        actor_account_id: adjustment.actorAccountId,
        action: 'billing.adjustment',
        subject_account_id: adjustment.accountId,
        detail: { ledgerEntryId: entry.id, amount: adjustment.amount, reason },
      })
      .execute();
    return { ...entry, reason: plain };
  });
}

/**
 * Accounts whose cached balance differs from the sum of their entries (always empty unless someone
 * bypassed the triggers); for tests and an operator's consistency check.
 * @example expect(await balanceMismatches(db)).toEqual([]);
 */
export async function balanceMismatches(db: Kysely<Database>): Promise<{ accountId: string; cached: number; summed: number }[]> {
  const rows = await sql<{ account_id: string; cached: string | number; summed: string | number }>`
    select coalesce(b.account_id, e.account_id) as account_id, coalesce(b.balance, 0) as cached, coalesce(e.summed, 0) as summed
    from account_balances b
    full join (select account_id, sum(amount) as summed from ledger_entries group by account_id) e on e.account_id = b.account_id
    where coalesce(b.balance, 0) <> coalesce(e.summed, 0)`.execute(db);
  return rows.rows.map((row) => ({ accountId: row.account_id, cached: Number(row.cached), summed: Number(row.summed) }));
}
