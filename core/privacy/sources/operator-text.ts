/** Free text typed about an account (an operator's reasons) may name the person: erasure clears it and keeps the row. */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';

/** Sets `reason` of the account's rows to null; returns rows changed. */
export async function clearReasons(db: Kysely<Database>, table: 'ledger_entries' | 'legal_holds', accountId: string): Promise<number> {
  const cleared = await db.updateTable(table).set({ reason: null }).where('account_id', '=', accountId).where('reason', 'is not', null).executeTakeFirst();
  return Number(cleared.numUpdatedRows);
}
