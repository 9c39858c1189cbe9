/** Legal holds: pause erasure of the account while active; not shown to their subject; their reasons go on erasure. */
import type { AccountDataSource } from '../data-source.ts';
import { clearReasons } from './operator-text.ts';

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
  // The hold stays (who placed and lifted it, when: legal process must stay provable); the operator's reason may
  // name the person, so it goes. Erasure runs only once every hold is lifted.
  erase: (db, accountId) => clearReasons(db, 'legal_holds', accountId),
  async blocksErasure(db, accountId) {
    const hold = await db.selectFrom('legal_holds').select('id').where('account_id', '=', accountId).where('lifted_at', 'is', null).executeTakeFirst();
    return hold === undefined ? null : 'legal_hold';
  },
};
