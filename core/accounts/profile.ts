/**
 * Correcting account data: the name changes at once; a new e-mail address takes effect only once the
 * link mailed to it is used (verifyEmail). The answer is the same whether or not the address is taken.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import type { Vault } from '../privacy/vault.ts';
import { accountByEmail, sendVerification } from './accounts.ts';
import { normalizeEmail } from './email-address.ts';
import type { EmailLinks } from './messages.ts';
import { throttle, type AttemptLimiter } from './throttle.ts';

export interface ProfileChange {
  readonly displayName?: string | null;
  readonly email?: string;
}

/**
 * @example
 * await updateProfile(db, vault, limiter, accountId, { displayName: 'Ana', email: 'ana@new.example' }, links);
 */
export async function updateProfile(
  db: Kysely<Database>,
  vault: Vault,
  limiter: AttemptLimiter,
  accountId: string,
  change: ProfileChange,
  links: EmailLinks,
): Promise<{ emailPending: boolean }> {
  return db.transaction().execute(async (trx) => {
    const fields: string[] = [];
    if (change.displayName !== undefined) {
      const name = change.displayName === null ? null : change.displayName.normalize('NFC').trim() || null;
      await trx
        .updateTable('accounts')
        .set({ display_name: await vault.sealNullable(trx, accountId, name), updated_at: sql`now()` })
        .where('id', '=', accountId)
        .execute();
      fields.push('display_name');
    }
    let emailPending = false;
    if (change.email !== undefined) {
      const email = normalizeEmail(change.email);
      const row = await trx.selectFrom('accounts').select('email').where('id', '=', accountId).executeTakeFirstOrThrow();
      const current = await vault.open(trx, row.email);
      if (current?.toLowerCase() !== email.toLowerCase()) {
        // Each change mails the new address: limited per account, and per address with sign-up's mails to it, so a
        // signed-in account cannot make us mail anyone without end. A refusal rolls the whole change back.
        await throttle(trx, [
          [limiter.key('email-change:account', accountId), limiter.limits.emailChangePerAccount],
          [limiter.key('signup:email', email), limiter.limits.signupPerAddress],
        ]);
        emailPending = true;
        fields.push('email');
        if ((await accountByEmail(trx, vault, email)) === undefined) await sendVerification(trx, vault, accountId, email, links, email);
      } else if (current !== email) {
        // Only the case changes: the same lookup hash.
        await trx
          .updateTable('accounts')
          .set({ email: await vault.seal(trx, accountId, email), updated_at: sql`now()` })
          .where('id', '=', accountId)
          .execute();
        fields.push('email_case');
      }
    }
    await recordAudit(trx, { action: 'privacy.correction', actorAccountId: accountId, subjectAccountId: accountId, detail: { fields } });
    return { emailPending };
  });
}
