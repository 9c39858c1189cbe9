/** Web Push subscriptions (core/push/subscriptions.ts): exported without the browser's keys, erased with the account. */
import type { AccountDataSource } from '../data-source.ts';

export const pushSubscriptionsSource: AccountDataSource = {
  table: 'push_subscriptions',
  holds:
    'browsers you asked to wake for calls: their push address, your name for each, when it was added and last reached ' +
    '(the keys a push is encrypted to are not exported)',
  export: (db, accountId) =>
    db
      .selectFrom('push_subscriptions')
      .select(['id', 'endpoint', 'label', 'created_at', 'last_success_at'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute(),
  async erase(db, accountId) {
    return Number((await db.deleteFrom('push_subscriptions').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  },
};
