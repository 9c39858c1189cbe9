/**
 * Correcting account data: the name changes at once; a new e-mail address takes effect only once the
 * link mailed to it is used (verifyEmail). The answer is the same whether or not the address is taken.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { accountByEmail, sendVerification } from './accounts.ts';
import { normalizeEmail } from './email-address.ts';
import type { EmailLinks } from './messages.ts';

export interface ProfileChange {
  readonly displayName?: string | null;
  readonly email?: string;
}

/**
 * @example
 * await updateProfile(db, accountId, { displayName: 'Ana', email: 'ana@new.example' }, links);
 */
export async function updateProfile(db: Kysely<Database>, accountId: string, change: ProfileChange, links: EmailLinks): Promise<{ emailPending: boolean }> {
  return db.transaction().execute(async (trx) => {
    const fields: string[] = [];
    if (change.displayName !== undefined) {
      const name = change.displayName === null ? null : change.displayName.normalize('NFC').trim() || null;
      await trx
        .updateTable('accounts')
        .set({ display_name: name, updated_at: sql`now()` })
        .where('id', '=', accountId)
        .execute();
      fields.push('display_name');
    }
    let emailPending = false;
    if (change.email !== undefined) {
      const email = normalizeEmail(change.email);
      const current = await trx.selectFrom('accounts').select('email').where('id', '=', accountId).executeTakeFirstOrThrow();
      if (current.email?.toLowerCase() !== email.toLowerCase()) {
        emailPending = true;
        fields.push('email');
        if ((await accountByEmail(trx, email)) === undefined) await sendVerification(trx, accountId, email, links, email);
      } else if (current.email !== email) {
        await trx
          .updateTable('accounts')
          .set({ email, updated_at: sql`now()` })
          .where('id', '=', accountId)
          .execute();
        fields.push('email_case');
      }
    }
    await recordAudit(trx, { action: 'privacy.correction', actorAccountId: accountId, subjectAccountId: accountId, detail: { fields } });
    return { emailPending };
  });
}
