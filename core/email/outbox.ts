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
