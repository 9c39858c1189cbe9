/** Legal holds: pause erasure of the account while active; not shown to their subject. */
import type { AccountDataSource } from '../data-source.ts';

export const legalHoldsSource: AccountDataSource = {
  table: 'legal_holds',
  holds: 'legal holds placed on the account, or placed or lifted by this operator',
  withheldFromSubject: 'legal holds are part of legal process and are not disclosed to their subject',
  export: (db, accountId) =>
    db
      .selectFrom('legal_holds')
      .select(['id', 'account_id', 'reason', 'placed_by', 'placed_at', 'lifted_by', 'lifted_at'])
      .where((eb) => eb.or([eb('account_id', '=', accountId), eb('placed_by', '=', accountId), eb('lifted_by', '=', accountId)]))
      .execute(),
  erase: async () => 0,
  async blocksErasure(db, accountId) {
    const hold = await db.selectFrom('legal_holds').select('id').where('account_id', '=', accountId).where('lifted_at', 'is', null).executeTakeFirst();
    return hold === undefined ? null : 'legal_hold';
  },
};
