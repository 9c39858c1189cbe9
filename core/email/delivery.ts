/**
 * Delivers the outbox. Each run leases a batch of due mails (so two runners never send one twice), sends
 * each through the transport, and marks it sent, or records the error and schedules a retry with
 * exponential backoff. After MAX_ATTEMPTS a mail stays in the outbox, unsent, with its last error.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';
import { openMail } from './outbox.ts';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** What the delivery needs of a mail server (nodemailer in production). */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
}

export const MAX_ATTEMPTS = 10;
const LEASE_SECONDS = 300;
const BACKOFF_BASE_SECONDS = 30;
const BACKOFF_MAX_SECONDS = 6 * 3600;

/** Seconds to wait after the n-th failed attempt: 30 s, 60 s, 120 s ... up to 6 hours. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(BACKOFF_BASE_SECONDS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_SECONDS);
}

function sealedFor(db: Kysely<Database>, vault: Vault, accountId: string | null, text: string): Promise<string> {
  return accountId === null ? Promise.resolve(text) : vault.seal(db, accountId, text);
}

/**
 * @example
 * const { sent, failed } = await deliverOutbox(db, vault, transport);
 */
export async function deliverOutbox(db: Kysely<Database>, vault: Vault, transport: MailTransport, batchSize = 50): Promise<{ sent: number; failed: number }> {
  const due = await db
    .updateTable('email_outbox')
    .set({ attempts: sql`attempts + 1`, next_attempt_at: sql`now() + make_interval(secs => ${LEASE_SECONDS})` })
    .where(
      'id',
      'in',
      db
        .selectFrom('email_outbox')
        .select('id')
        .where('sent_at', 'is', null)
        .where('attempts', '<', MAX_ATTEMPTS)
        .where('next_attempt_at', '<=', sql<Date>`now()`)
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'account_id', 'to_address', 'subject', 'body_text', 'attempts'])
    .execute();
  let sent = 0;
  let dropped = 0;
  for (const mail of due.sort((a, b) => a.id - b.id)) {
    try {
      const message = await openMail(db, vault, mail);
      if (message === null) {
        // Its account was erased (say, a restored backup's mail): nobody is left to write to, nor anything to retry.
        await db.deleteFrom('email_outbox').where('id', '=', mail.id).execute();
        dropped++;
        continue;
      }
      await transport.send(message);
      await db
        .updateTable('email_outbox')
        .set({ sent_at: sql`now()`, last_error: null })
        .where('id', '=', mail.id)
        .execute();
      sent++;
    } catch (error) {
      await db
        .updateTable('email_outbox')
        .set({
          // A mail server's refusal may quote the recipient's address: sealed like the address itself.
          last_error: await sealedFor(db, vault, mail.account_id, String((error as Error).message ?? error).slice(0, 500)),
          next_attempt_at: sql`now() + make_interval(secs => ${retryDelaySeconds(mail.attempts)})`,
        })
        .where('id', '=', mail.id)
        .execute();
    }
  }
  return { sent, failed: due.length - sent - dropped };
}
