/**
 * Sign-up, address verification and login. Every answer is shaped so that it never tells a stranger
 * whether an address has an account: sign-up always "sends a mail"; what the mail says differs.
 */
import { sql, type Kysely } from 'kysely';
import type { AccountRole, AccountStatus, Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { enqueueEmail } from '../email/outbox.ts';
import { normalizeEmail } from './email-address.ts';
import { consumeEmailToken, issueEmailToken, NO_ACCOUNT } from './email-tokens.ts';
import { AccountError } from './errors.ts';
import { messages, type EmailLinks } from './messages.ts';
import { forgive, throttle, type AttemptLimiter } from './throttle.ts';
import { assertPasswordAcceptable, burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';

export interface Credentials {
  readonly email: string;
  readonly password: string;
}

export interface AccountSummary {
  readonly id: string;
  readonly email: string;
  readonly role: AccountRole;
  readonly status: AccountStatus;
  readonly createdAt: Date;
}

/** Finds a live account by address, case-insensitively. */
export function accountByEmail(db: Kysely<Database>, email: string) {
  return db
    .selectFrom('accounts')
    .select(['id', 'email', 'password_hash', 'status', 'role'])
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/**
 * Registers an address. A new address gets a pending account and a verification link; an address that
 * is already registered gets a mail saying so (a pending one gets a fresh link; the new password is ignored,
 * so nobody can pre-claim someone else's address). The caller cannot tell which happened: every case hashes
 * the password and runs the same statements. Limited per address and per source, since each sign-up sends mail
 * (signing up again is also how a new verification link is asked for).
 * @example
 * await signUp(db, limiter, { email: 'ana@example.org', password: 'a long passphrase' }, links, { ip });
 */
export async function signUp(
  db: Kysely<Database>,
  limiter: AttemptLimiter,
  credentials: Credentials,
  links: EmailLinks,
  context: { ip: string },
): Promise<void> {
  const email = normalizeEmail(credentials.email);
  assertPasswordAcceptable(credentials.password, email);
  await throttle(db, [
    [limiter.key('signup:ip', context.ip), limiter.limits.signupPerIp],
    [limiter.key('signup:email', email), limiter.limits.signupPerAddress],
  ]);
  const passwordHash = await hashPassword(credentials.password);
  await db.transaction().execute(async (trx) => {
    const created = await trx
      .insertInto('accounts')
      .values({ email, password_hash: passwordHash })
      .onConflict((conflict) => conflict.doNothing())
      .returning('id')
      .executeTakeFirst();
    const account = await accountByEmail(trx, email);
    if (account?.email == null) throw new Error(`sign-up: no account for the address just inserted`);
    const pending = account.status === 'pending';
    // A token only for a pending account; for another the same statement writes nothing (see issueEmailToken).
    const token = await issueEmailToken(trx, pending ? account.id : NO_ACCOUNT, 'verify_email');
    const mail = pending
      ? { kind: 'verify_email', ...messages.verifyEmail(links.verifyEmail(token)) }
      : { kind: 'already_registered', ...messages.alreadyRegistered() };
    await enqueueEmail(trx, { accountId: account.id, to: account.email, ...mail });
    // A repeated sign-up is a usage event (auth.*), swept with the others after the usage window.
    await recordAudit(trx, {
      action: created === undefined ? 'auth.signup_repeated' : 'account.created',
      actorAccountId: created?.id ?? null,
      subjectAccountId: account.id,
    });
  });
}

/** Issues a verification token for `address` (the account's own, or a new one it is moving to) and mails it. */
export async function sendVerification(
  db: Kysely<Database>,
  accountId: string,
  address: string,
  links: EmailLinks,
  newEmail: string | null = null,
): Promise<void> {
  const token = await issueEmailToken(db, accountId, 'verify_email', newEmail);
  await enqueueEmail(db, { accountId, kind: 'verify_email', to: address, ...messages.verifyEmail(links.verifyEmail(token)) });
}

/**
 * Uses a verification link: activates a pending account, or moves the account to the new address it proved.
 * @example
 * const accountId = await verifyEmail(db, tokenFromTheLink);
 */
export async function verifyEmail(db: Kysely<Database>, token: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await consumeEmailToken(trx, token, 'verify_email');
    if (row.new_email === null) {
      await trx
        .updateTable('accounts')
        .set({ status: 'active', updated_at: sql`now()` })
        .where('id', '=', row.account_id)
        .where('status', '=', 'pending')
        .execute();
      await recordAudit(trx, { action: 'account.verified', actorAccountId: row.account_id, subjectAccountId: row.account_id });
      return row.account_id;
    }
    if ((await accountByEmail(trx, row.new_email)) !== undefined) throw new AccountError('email_taken', 'that address is now used by another account');
    await trx
      .updateTable('accounts')
      .set({ email: row.new_email, updated_at: sql`now()` })
      .where('id', '=', row.account_id)
      .execute();
    await recordAudit(trx, { action: 'account.email_changed', actorAccountId: row.account_id, subjectAccountId: row.account_id });
    return row.account_id;
  });
}

/** Where a login attempt came from, for the audit trail of failures. */
export interface LoginContext {
  readonly ip: string;
}

/**
 * Checks credentials. Every refusal is audited; unknown address, wrong password and disabled account all
 * throw the same `invalid_credentials` after the same argon2 work and statements. Only the holder of the right
 * password learns that the address still needs verifying. Only failures count towards the limits: per source
 * first (lower), then per address.
 * @example
 * const { id, role } = await logIn(db, limiter, { email, password }, { ip: '203.0.113.7' });
 */
export async function logIn(
  db: Kysely<Database>,
  limiter: AttemptLimiter,
  credentials: Credentials,
  context: LoginContext,
): Promise<{ id: string; role: AccountRole }> {
  // Counted as a failure until it succeeds: parallel guesses cannot slip past the limits.
  const counted = [
    [limiter.key('login:ip', context.ip), limiter.limits.loginFailuresPerIp],
    [limiter.key('login:email', credentials.email), limiter.limits.loginFailuresPerAddress],
  ] as const;
  try {
    await throttle(db, counted);
  } catch (error) {
    await recordAudit(db, { action: 'auth.login_throttled', detail: { ip: context.ip } });
    throw error;
  }
  const account = await accountByEmail(db, credentials.email.trim());
  const fail = async (reason: string, accountId: string | null) => {
    await recordAudit(db, { action: 'auth.login_failed', subjectAccountId: accountId, detail: { reason, ip: context.ip } });
    throw new AccountError('invalid_credentials', 'wrong e-mail address or password');
  };
  if (account === undefined || account.password_hash === null) {
    await burnPasswordCheck(credentials.password);
    return fail('unknown_account', null);
  }
  if (!(await verifyPassword(account.password_hash, credentials.password))) return fail('wrong_password', account.id);
  // The right password is no failure, whatever follows: an owner signing in often never locks themselves out.
  await forgive(db, counted);
  if (account.status === 'pending') {
    await recordAudit(db, { action: 'auth.login_failed', subjectAccountId: account.id, detail: { reason: 'not_verified', ip: context.ip } });
    throw new AccountError('not_verified', 'confirm your e-mail address first: we sent you a link');
  }
  if (account.status !== 'active') return fail(account.status, account.id);
  await recordAudit(db, { action: 'auth.login', actorAccountId: account.id, subjectAccountId: account.id });
  return { id: account.id, role: account.role };
}

/**
 * For an operator's action on an account: throws AccountError `no_such_account` (404) when there is none.
 * @example
 * await requireAccount(db, request.params.accountId);
 */
export async function requireAccount(db: Kysely<Database>, accountId: string): Promise<void> {
  const account = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (account === undefined) throw new AccountError('no_such_account', 'no such account');
}

export async function getAccountSummary(db: Kysely<Database>, accountId: string): Promise<AccountSummary | undefined> {
  const row = await db.selectFrom('accounts').select(['id', 'email', 'role', 'status', 'created_at']).where('id', '=', accountId).executeTakeFirst();
  if (row === undefined || row.email === null) return undefined;
  return { id: row.id, email: row.email, role: row.role, status: row.status, createdAt: row.created_at };
}

/** Makes an account an operator (CLI and test set-up: no route grants this role). */
export async function setAccountRole(db: Kysely<Database>, accountId: string, role: AccountRole, actorAccountId: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ role, updated_at: sql`now()` })
      .where('id', '=', accountId)
      .execute();
    await recordAudit(trx, { action: 'admin.role_set', actorAccountId, subjectAccountId: accountId, detail: { role } });
  });
}
