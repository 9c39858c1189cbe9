import type { Kysely } from 'kysely';

// Without SMTP_URL each queued mail is written to the app's log once (jobs/email-log.ts), so a sign-up link can be
// followed on a machine with no mail server; this says when, so a later run or a restart does not write it again.
// The mail stays queued (sent_at null): it is still sent if SMTP_URL is set later.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_outbox').addColumn('logged_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_outbox').dropColumn('logged_at').execute();
}
