/**
 * Changing a password (knowing the current one) and resetting it by e-mail. Both end the account's other
 * sessions and tell the owner by mail; a reset request answers the same, after the same work, whether or not the
 * address exists.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { enqueueAccountEmail, enqueueEmail } from '../email/outbox.ts';
import { accountByEmail } from './accounts.ts';
import { consumeEmailToken, issueEmailToken, NO_ACCOUNT } from './email-tokens.ts';
import { AccountError } from './errors.ts';
import { messages, type EmailLinks } from './messages.ts';
import { assertPasswordAcceptable, hashPassword, verifyPassword } from './passwords.ts';
import { endAccountSessions } from './sessions.ts';
import { clearCounters, forgive, throttle, type AttemptLimiter } from './throttle.ts';

/**
 * Checks the password of a signed-in account before a sensitive step (password change, deletion).
 * Failures are limited per account and audited.
 * @example
 * await reauthenticate(db, limiter, caller.accountId, body.password); // throws invalid_credentials or rate_limited
 */
export async function reauthenticate(db: Kysely<Database>, limiter: AttemptLimiter, accountId: string, password: string): Promise<{ email: string }> {
  const counted = [[limiter.key('reauth:account', accountId), limiter.limits.reauthPerAccount]] as const;
  await throttle(db, counted);
  const account = await db.selectFrom('accounts').select(['email', 'password_hash']).where('id', '=', accountId).executeTakeFirst();
  if (account?.email == null || account.password_hash === null || !(await verifyPassword(account.password_hash, password))) {
    await recordAudit(db, { action: 'auth.reauth_failed', actorAccountId: accountId, subjectAccountId: accountId });
    throw new AccountError('invalid_credentials', 'the password is not right');
  }
  await forgive(db, counted);
  return { email: account.email };
}

async function setPassword(db: Kysely<Database>, accountId: string, email: string, password: string, keepSessionId?: string): Promise<number> {
  assertPasswordAcceptable(password, email);
  const hash = await hashPassword(password);
  // A completed reset proves the mailbox, so it also activates a still-pending account.
  await db
    .updateTable('accounts')
    .set({ password_hash: hash, updated_at: sql`now()`, status: sql`case when status = 'pending' then 'active' else status end` })
    .where('id', '=', accountId)
    .execute();
  const ended = await endAccountSessions(db, accountId, keepSessionId);
  await enqueueEmail(db, { accountId, kind: 'password_changed', to: email, ...messages.passwordChanged() });
  return ended;
}

/**
 * @example
 * await changePassword(db, limiter, caller, { currentPassword, newPassword });
 */
export async function changePassword(
  db: Kysely<Database>,
  limiter: AttemptLimiter,
  caller: { accountId: string; sessionId: string },
  passwords: { currentPassword: string; newPassword: string },
): Promise<void> {
  const { email } = await reauthenticate(db, limiter, caller.accountId, passwords.currentPassword);
  await db.transaction().execute(async (trx) => {
    const ended = await setPassword(trx, caller.accountId, email, passwords.newPassword, caller.sessionId);
    await recordAudit(trx, {
      action: 'auth.password_changed',
      actorAccountId: caller.accountId,
      subjectAccountId: caller.accountId,
      detail: { sessionsEnded: ended },
    });
  });
}

/**
 * Mails a reset link if the address has a live account; otherwise does nothing, visibly the same: the same
 * statements run, aimed at no account, so neither the answer nor its timing tells whether the address is known.
 * @example
 * await requestPasswordReset(db, limiter, 'ana@example.org', links, { ip });
 */
export async function requestPasswordReset(
  db: Kysely<Database>,
  limiter: AttemptLimiter,
  email: string,
  links: EmailLinks,
  context: { ip: string },
): Promise<void> {
  await throttle(db, [
    [limiter.key('reset:ip', context.ip), limiter.limits.resetPerIp],
    [limiter.key('reset:email', email), limiter.limits.resetPerAddress],
  ]);
  await db.transaction().execute(async (trx) => {
    const account = await accountByEmail(trx, email.trim());
    const live = account?.email != null && (account.status === 'active' || account.status === 'pending') ? { id: account.id, email: account.email } : undefined;
    const accountId = live?.id ?? NO_ACCOUNT;
    const token = await issueEmailToken(trx, accountId, 'reset_password');
    await enqueueAccountEmail(trx, { accountId, kind: 'password_reset', to: live?.email ?? email, ...messages.resetPassword(links.resetPassword(token)) });
    await recordAudit(trx, { action: 'auth.reset_requested', subjectAccountId: live?.id ?? null, detail: { ip: context.ip } });
  });
}

/**
 * Uses a reset link: sets the new password, ends every session of the account and lifts a login lock-out of
 * its address (the link proves the mailbox).
 * @example
 * await resetPassword(db, limiter, tokenFromTheLink, 'a new long passphrase');
 */
export async function resetPassword(db: Kysely<Database>, limiter: AttemptLimiter, token: string, newPassword: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await consumeEmailToken(trx, token, 'reset_password');
    const account = await trx.selectFrom('accounts').select('email').where('id', '=', row.account_id).executeTakeFirst();
    if (account?.email == null) throw new AccountError('invalid_token', 'this link is invalid or has expired: ask for a new one');
    const ended = await setPassword(trx, row.account_id, account.email, newPassword);
    await clearCounters(trx, [limiter.key('login:email', account.email)]);
    await recordAudit(trx, {
      action: 'auth.password_reset',
      actorAccountId: row.account_id,
      subjectAccountId: row.account_id,
      detail: { sessionsEnded: ended },
    });
  });
}
