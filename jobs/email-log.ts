/**
 * Without SMTP_URL, the jobs role writes each queued mail to the app's log once, as one line with its links, so a
 * sign-up or reset link can be followed on a machine with no mail server. The body is not logged: only its links.
 */
import type { Kysely } from 'kysely';
import type { MailMessage } from '../core/email/delivery.ts';
import { showUnsentMail } from '../core/email/unsent.ts';
import type { Vault } from '../core/privacy/vault.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Job } from './scheduler.ts';

/** What the log line says; its `msg` starts with this. */
export const MAIL_NOT_SENT = 'mail not sent (SMTP_URL unset)';

/** The absolute http(s) URLs in a mail body, in order. */
export function linksIn(text: string): string[] {
  return text.match(/https?:\/\/[^\s<>"]+/g) ?? [];
}

/**
 * `mail not sent (SMTP_URL unset): "<subject>" to <recipient>: <link> [<link> ...]` (no `: ...` part for a mail
 * without links), with the fields `to`, `subject` and `links`.
 */
export function logMail(logger: Logger, mail: MailMessage): void {
  const links = linksIn(mail.text);
  const where = links.length === 0 ? '' : `: ${links.join(' ')}`;
  logger.info({ to: mail.to, subject: mail.subject, links }, `${MAIL_NOT_SENT}: "${mail.subject}" to ${mail.to}${where}`);
}

export function emailLogJob(db: Kysely<Database>, vault: Vault, logger: Logger, everyMs = 5_000): Job {
  return {
    name: 'email-log',
    everyMs,
    run: async () => {
      const { shown } = await showUnsentMail(db, vault, (mail) => logMail(logger, mail));
      return { logged: shown };
    },
  };
}
