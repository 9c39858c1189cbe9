/** Queues mail in the outbox, inside the caller's transaction; the delivery job sends it. */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

export interface OutgoingEmail {
  readonly accountId: string | null;
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * @example
 * await enqueueEmail(trx, { accountId, kind: 'verify_email', to: 'ana@example.org', subject: 'Confirm', text: '...' });
 */
export async function enqueueEmail(db: Kysely<Database>, email: OutgoingEmail): Promise<void> {
  await db
    .insertInto('email_outbox')
    .values({ account_id: email.accountId, kind: email.kind, to_address: email.to, subject: email.subject, body_text: email.text })
    .execute();
}

/**
 * Queues mail only if `accountId` is an account's: for one no account has, the same statement queues nothing, so
 * a request about an unknown address does the same work as one about a known address.
 * @example
 * await enqueueAccountEmail(trx, { accountId: account?.id ?? NO_ACCOUNT, kind: 'password_reset', to, subject, text });
 */
export async function enqueueAccountEmail(db: Kysely<Database>, email: OutgoingEmail & { readonly accountId: string }): Promise<void> {
  await db
    .insertInto('email_outbox')
    .columns(['account_id', 'kind', 'to_address', 'subject', 'body_text'])
    .expression((eb) =>
      eb
        .selectFrom('accounts')
        .select([
          'id',
          eb.val(email.kind).as('kind'),
          eb.val(email.to).as('to_address'),
          eb.val(email.subject).as('subject'),
          eb.val(email.text).as('body_text'),
        ])
        .where('id', '=', email.accountId),
    )
    .execute();
}
