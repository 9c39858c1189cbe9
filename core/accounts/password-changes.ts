/**
 * Changing a password (knowing the current one) and resetting it by e-mail. Both end the account's other
 * sessions and tell the owner by mail; a reset request answers the same, after the same work, whether or not the
 * address exists.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { enqueueEmail, enqueueOwnerEmail } from '../email/outbox.ts';
import type { Vault } from '../privacy/vault.ts';
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
 * await reauthenticate(db, vault, limiter, caller.accountId, body.password); // throws invalid_credentials or rate_limited
 */
export async function reauthenticate(
  db: Kysely<Database>,
  vault: Vault,
  limiter: AttemptLimiter,
  accountId: string,
  password: string,
): Promise<{ email: string }> {
  const counted = [[limiter.key('reauth:account', accountId), limiter.limits.reauthPerAccount]] as const;
  await throttle(db, counted);
  const account = await db.selectFrom('accounts').select(['email', 'password_hash']).where('id', '=', accountId).executeTakeFirst();
  const email = await vault.open(db, account?.email ?? null);
  if (email === null || account?.password_hash == null || !(await verifyPassword(account.password_hash, password))) {
    await recordAudit(db, { action: 'auth.reauth_failed', actorAccountId: accountId, subjectAccountId: accountId });
    throw new AccountError('invalid_credentials', 'the password is not right');
  }
  await forgive(db, counted);
  return { email };
}

async function setPassword(db: Kysely<Database>, vault: Vault, accountId: string, email: string, password: string, keepSessionId?: string): Promise<number> {
  assertPasswordAcceptable(password, email);
  const hash = await hashPassword(password);
  // A completed reset proves the mailbox, so it also activates a still-pending account.
  await db
    .updateTable('accounts')
    .set({ password_hash: hash, updated_at: sql`now()`, status: sql`case when status = 'pending' then 'active' else status end` })
    .where('id', '=', accountId)
    .execute();
  const ended = await endAccountSessions(db, accountId, keepSessionId);
  await enqueueEmail(db, vault, { accountId, kind: 'password_changed', to: email, ...messages.passwordChanged() });
  return ended;
}

/**
 * @example
 * await changePassword(db, vault, limiter, caller, { currentPassword, newPassword });
 */
export async function changePassword(
  db: Kysely<Database>,
  vault: Vault,
  limiter: AttemptLimiter,
  caller: { accountId: string; sessionId: string },
  passwords: { currentPassword: string; newPassword: string },
): Promise<void> {
  const { email } = await reauthenticate(db, vault, limiter, caller.accountId, passwords.currentPassword);
  await db.transaction().execute(async (trx) => {
    const ended = await setPassword(trx, vault, caller.accountId, email, passwords.newPassword, caller.sessionId);
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
 * await requestPasswordReset(db, vault, limiter, 'ana@example.org', links, { ip });
 */
export async function requestPasswordReset(
  db: Kysely<Database>,
  vault: Vault,
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
    const account = await accountByEmail(trx, vault, email);
    const live = account?.email != null && (account.status === 'active' || account.status === 'pending') ? account.id : undefined;
    const accountId = live ?? NO_ACCOUNT;
    const token = await issueEmailToken(trx, accountId, 'reset_password');
    await enqueueOwnerEmail(trx, { accountId, kind: 'password_reset', ...messages.resetPassword(links.resetPassword(token)) });
    await recordAudit(trx, { action: 'auth.reset_requested', subjectAccountId: live ?? null, detail: { ip: context.ip } });
  });
}

/**
 * Uses a reset link: sets the new password, ends every session of the account and lifts a login lock-out of
 * its address (the link proves the mailbox).
 * @example
 * await resetPassword(db, vault, limiter, tokenFromTheLink, 'a new long passphrase');
 */
export async function resetPassword(db: Kysely<Database>, vault: Vault, limiter: AttemptLimiter, token: string, newPassword: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await consumeEmailToken(trx, token, 'reset_password');
    const account = await trx.selectFrom('accounts').select('email').where('id', '=', row.account_id).executeTakeFirst();
    const email = await vault.open(trx, account?.email ?? null);
    if (email === null) throw new AccountError('invalid_token', 'this link is invalid or has expired: ask for a new one');
    const ended = await setPassword(trx, vault, row.account_id, email, newPassword);
    await clearCounters(trx, [limiter.key('login:email', email)]);
    await recordAudit(trx, {
      action: 'auth.password_reset',
      actorAccountId: row.account_id,
      subjectAccountId: row.account_id,
      detail: { sessionsEnded: ended },
    });
  });
}
