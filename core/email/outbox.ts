/**
 * Queues mail in the outbox, inside the caller's transaction; the delivery job sends it. Mail to an account is sealed
 * under the account's key (core/privacy/vault.ts): the outbox, and every backup of it, shows nothing of the person
 * once the account is erased.
 */
import type { Kysely } from 'kysely';
import type { Database, EmailOutboxTable } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';
import type { MailMessage } from './delivery.ts';

export interface OutgoingEmail {
  readonly accountId: string | null;
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * Queues one mail; with an account, its address, subject and body are sealed under that account's key.
 * @example
 * await enqueueEmail(trx, vault, { accountId, kind: 'verify_email', to: 'ana@example.org', subject: 'Confirm', text: '...' });
 */
export async function enqueueEmail(db: Kysely<Database>, vault: Vault, email: OutgoingEmail): Promise<void> {
  const seal = (text: string) => (email.accountId === null ? text : vault.seal(db, email.accountId, text));
  await db
    .insertInto('email_outbox')
    .values({
      account_id: email.accountId,
      kind: email.kind,
      to_address: await seal(email.to),
      subject: await seal(email.subject),
      body_text: await seal(email.text),
    })
    .execute();
}

/**
 * Queues mail to an account's own address only if `accountId` is an account's: for one no account has, the same
 * statement queues nothing, so a request about an unknown address does the same work as one about a known address.
 * The address is copied, sealed, from the account's row; the subject and body are our fixed text and a link, naming
 * nobody, so they stay plain (sealing them would read the account's key, a statement an unknown address would not run).
 * @example
 * await enqueueOwnerEmail(trx, { accountId: account?.id ?? NO_ACCOUNT, kind: 'password_reset', subject, text });
 */
export async function enqueueOwnerEmail(db: Kysely<Database>, email: Omit<OutgoingEmail, 'to'> & { readonly accountId: string }): Promise<void> {
  await db
    .insertInto('email_outbox')
    .columns(['account_id', 'kind', 'to_address', 'subject', 'body_text'])
    .expression((eb) =>
      eb
        .selectFrom('accounts')
        .select(['id', eb.val(email.kind).as('kind'), 'email', eb.val(email.subject).as('subject'), eb.val(email.text).as('body_text')])
        .where('id', '=', email.accountId)
        .where('email', 'is not', null),
    )
    .execute();
}

/**
 * A queued mail as it leaves: its address, subject and body opened. Null when its account's key is destroyed (the
 * account was erased while the mail waited): there is nobody left to write to.
 * @example
 * const message = await openMail(db, vault, row); // { to: 'ana@example.org', subject, text } or null
 */
export async function openMail(
  db: Kysely<Database>,
  vault: Vault,
  row: Pick<EmailOutboxTable, 'to_address' | 'subject' | 'body_text'>,
): Promise<MailMessage | null> {
  const [to, subject, text] = await vault.openAll(db, [row.to_address, row.subject, row.body_text]);
  if (to == null || subject == null || text == null) return null;
  return { to, subject, text };
}
