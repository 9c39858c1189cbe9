/**
 * Money records. Billing and tax law require keeping them for the de-identified window, so erasure leaves
 * them (they hold amounts, dates and payment references, no contact data) but for the ledger's free-text reasons;
 * the ledger is append-only in the database itself. An open card dispute pauses erasure of the account.
 */
import { sql } from 'kysely';
import { inTransaction } from '../../../db/transaction.ts';
import type { AccountDataSource } from '../data-source.ts';
import { clearReasons } from './operator-text.ts';

const kept = async () => 0;

export const ledgerEntriesSource: AccountDataSource = {
  table: 'ledger_entries',
  holds: 'every change to your credit: top-ups, call charges, refunds, disputes and adjustments',
  export: (db, accountId) =>
    db
      .selectFrom('ledger_entries')
      .select(['id', 'kind', 'amount', 'reference', 'reason', 'created_at'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute(),
  // A reason is free text (an operator's words on an adjustment, a provider's on a dispute) and may name the person;
  // kind, amount and reference stay. The append-only trigger lets this one update through, in this transaction only
  // (migration 0038).
  async erase(db, accountId) {
    return inTransaction(db, async (trx) => {
      await sql`select set_config('dialo.erasing_reasons', 'on', true)`.execute(trx);
      const cleared = await clearReasons(trx, 'ledger_entries', accountId);
      await sql`select set_config('dialo.erasing_reasons', 'off', true)`.execute(trx);
      return cleared;
    });
  },
};

export const accountBalancesSource: AccountDataSource = {
  table: 'account_balances',
  holds: 'your current balance (the sum of your ledger entries)',
  export: (db, accountId) => db.selectFrom('account_balances').select(['balance', 'entries', 'updated_at']).where('account_id', '=', accountId).execute(),
  erase: kept,
};

export const reservationsSource: AccountDataSource = {
  table: 'reservations',
  holds: 'credit held for your calls while they were in progress, and what each was settled for',
  export: (db, accountId) =>
    db
      .selectFrom('reservations')
      .select(['id', 'status', 'price_per_minute', 'max_seconds', 'hold', 'created_at', 'closed_at', 'billable_seconds', 'charged'])
      .where('account_id', '=', accountId)
      .execute(),
  erase: kept,
};

export const topUpsSource: AccountDataSource = {
  table: 'top_ups',
  holds: 'card top-ups you started: amount, currency, status and the payment reference (no card data)',
  export: (db, accountId) =>
    db
      .selectFrom('top_ups')
      .select(['id', 'amount_minor', 'currency', 'payment_intent_id', 'status', 'created_at', 'succeeded_at'])
      .where('account_id', '=', accountId)
      .execute(),
  erase: kept,
};

export const accountHoldsSource: AccountDataSource = {
  table: 'account_holds',
  holds: 'card disputes opened on your payments',
  export: (db, accountId) =>
    db.selectFrom('account_holds').select(['id', 'kind', 'reference', 'created_at', 'released_at']).where('account_id', '=', accountId).execute(),
  erase: kept,
  async blocksErasure(db, accountId) {
    const open = await db.selectFrom('account_holds').select('id').where('account_id', '=', accountId).where('released_at', 'is', null).executeTakeFirst();
    return open === undefined ? null : 'open_dispute';
  },
};
