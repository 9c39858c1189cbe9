/** The outbox delivery job for the jobs role: nodemailer over SMTP_URL. */
import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import { deliverOutbox, type MailTransport } from '../core/email/delivery.ts';
import type { Vault } from '../core/privacy/vault.ts';
import type { Database } from '../db/schema.ts';
import type { Job } from './scheduler.ts';

export interface SmtpSettings {
  /** e.g. smtp://user:pass@mail.example.org:587 (STARTTLS when offered) or smtps://... */
  readonly url: string;
  readonly from: string;
}

export function smtpTransport(settings: SmtpSettings): MailTransport {
  const transporter = nodemailer.createTransport(settings.url);
  return {
    async send(message) {
      await transporter.sendMail({ from: settings.from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}

export function emailDeliveryJob(db: Kysely<Database>, vault: Vault, transport: MailTransport, everyMs = 5_000): Job {
  return { name: 'email-delivery', everyMs, run: () => deliverOutbox(db, vault, transport) };
}
