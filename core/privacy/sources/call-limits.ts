/**
 * Call limits and outbound suspension set on an account (or set or lifted by this operator). Erased with the
 * account: they only serve a live one; the audit trail keeps what was decided and by whom.
 */
import type { AccountDataSource } from '../data-source.ts';

export const accountCallLimitsSource: AccountDataSource = {
  table: 'account_call_limits',
  holds: 'call limits set on your account, and any suspension of outbound calling (when, why, by whom)',
  export: (db, accountId) =>
    db
      .selectFrom('account_call_limits')
      .selectAll()
      .where((eb) => eb.or([eb('account_id', '=', accountId), eb('suspended_by', '=', accountId), eb('lifted_by', '=', accountId)]))
      .execute(),
  async erase(db, accountId) {
    const deleted = await db.deleteFrom('account_call_limits').where('account_id', '=', accountId).executeTakeFirst();
    // An erased operator's name comes off the decisions it made about others.
    const suspended = await db.updateTable('account_call_limits').set({ suspended_by: null }).where('suspended_by', '=', accountId).executeTakeFirst();
    const lifted = await db.updateTable('account_call_limits').set({ lifted_by: null }).where('lifted_by', '=', accountId).executeTakeFirst();
    return Number(deleted.numDeletedRows) + Number(suspended.numUpdatedRows) + Number(lifted.numUpdatedRows);
  },
};
