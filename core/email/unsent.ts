/**
 * Mail that cannot leave (no SMTP_URL): each queued, unsent mail is handed once to a `show` callback (the jobs role
 * writes it to the log) and marked `logged_at`, so it is not shown again on the next run or after a restart. It stays
 * queued: configured later, the delivery job still sends it.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';
import type { MailMessage } from './delivery.ts';
import { openMail } from './outbox.ts';

/**
 * Shows each unsent mail not shown yet, oldest first, in one transaction per batch: rows are locked (two runners never
 * show one mail twice) and marked as shown in the same transaction, so a failure before the commit shows them again.
 * A mail whose account's key is destroyed is marked without being shown: nothing of it can be read.
 * @example
 * const { shown } = await showUnsentMail(db, vault, (mail) => console.log(mail.subject));
 */
export async function showUnsentMail(db: Kysely<Database>, vault: Vault, show: (mail: MailMessage) => void, batchSize = 50): Promise<{ shown: number }> {
  return db.transaction().execute(async (trx) => {
    const mails = await trx
      .selectFrom('email_outbox')
      .select(['id', 'to_address', 'subject', 'body_text'])
      .where('sent_at', 'is', null)
      .where('logged_at', 'is', null)
      .orderBy('id')
      .limit(batchSize)
      .forUpdate()
      .skipLocked()
      .execute();
    if (mails.length === 0) return { shown: 0 };
    let shown = 0;
    for (const mail of mails) {
      const message = await openMail(trx, vault, mail);
      if (message === null) continue;
      show(message);
      shown++;
    }
    await trx
      .updateTable('email_outbox')
      .set({ logged_at: sql`now()` })
      .where(
        'id',
        'in',
        mails.map((mail) => mail.id),
      )
      .execute();
    return { shown };
  });
}
