/** Mail we sent or will send to the account (bodies are not exported: they may hold one-time links). */
import { sql } from 'kysely';
import { MAX_ATTEMPTS } from '../../email/delivery.ts';
import type { AccountDataSource } from '../data-source.ts';

export const emailOutboxSource: AccountDataSource = {
  table: 'email_outbox',
  holds: 'mail sent to you: kind, address, subject and when',
  export: (db, accountId) =>
    db.selectFrom('email_outbox').select(['kind', 'to_address', 'subject', 'created_at', 'sent_at']).where('account_id', '=', accountId).execute(),
  async erase(db, accountId) {
    return Number((await db.deleteFrom('email_outbox').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  },
  async sweep(db, windows) {
    const result = await db
      .deleteFrom('email_outbox')
      .where((eb) => eb.or([eb('sent_at', 'is not', null), eb('attempts', '>=', MAX_ATTEMPTS)]))
      .where('created_at', '<', sql<Date>`now() - make_interval(days => ${windows.sentMailDays})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};
