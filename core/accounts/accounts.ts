/**
 * Sign-up, address verification and login. Every answer is shaped so that it never tells a stranger
 * whether an address has an account: sign-up always "sends a mail"; what the mail says differs.
 * Addresses are stored sealed under the account's key and found by their keyed hash (`email_hash`).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AccountRole, AccountStatus, Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { enqueueEmail } from '../email/outbox.ts';
import type { Vault } from '../privacy/vault.ts';
import { emailHash, normalizeEmail } from './email-address.ts';
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

/**
 * Finds a live account by address, case-insensitively, through its keyed hash; `email` comes back sealed.
 * @example
 * const account = await accountByEmail(db, vault, 'Ana@Example.org'); // the account of ana@example.org, if any
 */
export function accountByEmail(db: Kysely<Database>, vault: Vault, email: string) {
  return db
    .selectFrom('accounts')
    .select(['id', 'email', 'password_hash', 'status', 'role'])
    .where('email_hash', '=', emailHash(vault, email))
    .executeTakeFirst();
}

/**
 * Registers an address. A new address gets a pending account and a verification link; an address that
 * is already registered gets a mail saying so (a pending one gets a fresh link; the new password is ignored,
 * so nobody can pre-claim someone else's address). The caller cannot tell which happened: every case hashes
 * the password and runs the same statements. Limited per address and per source, since each sign-up sends mail
 * (signing up again is also how a new verification link is asked for).
 * @example
 * await signUp(db, vault, limiter, { email: 'ana@example.org', password: 'a long passphrase' }, links, { ip });
 */
export async function signUp(
  db: Kysely<Database>,
  vault: Vault,
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
    // The id is chosen here so the address is sealed under the new account's own key (made in this transaction)
    // before its row exists. An address that has an account makes a key too, dropped below: the same statements.
    const id = randomUUID();
    const created = await trx
      .insertInto('accounts')
      .values({ id, email: await vault.seal(trx, id, email), email_hash: emailHash(vault, email), password_hash: passwordHash })
      .onConflict((conflict) => conflict.doNothing())
      .returning('id')
      .executeTakeFirst();
    const account = await accountByEmail(trx, vault, email);
    // The key of a row that was not inserted seals nothing; aimed at no account, the same statement deletes nothing.
    await vault.shred(trx, created === undefined ? id : NO_ACCOUNT);
    const to = await vault.open(trx, account?.email ?? null);
    if (account === undefined || to === null) throw new Error(`sign-up: no account for the address just inserted`);
    const pending = account.status === 'pending';
    // A token only for a pending account; for another the same statement writes nothing (see issueEmailToken).
    const token = await issueEmailToken(trx, pending ? account.id : NO_ACCOUNT, 'verify_email');
    const mail = pending
      ? { kind: 'verify_email', ...messages.verifyEmail(links.verifyEmail(token)) }
      : { kind: 'already_registered', ...messages.alreadyRegistered() };
    await enqueueEmail(trx, vault, { accountId: account.id, to, ...mail });
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
  vault: Vault,
  accountId: string,
  address: string,
  links: EmailLinks,
  newEmail: string | null = null,
): Promise<void> {
  const token = await issueEmailToken(db, accountId, 'verify_email', await vault.sealNullable(db, accountId, newEmail));
  await enqueueEmail(db, vault, { accountId, kind: 'verify_email', to: address, ...messages.verifyEmail(links.verifyEmail(token)) });
}

/**
 * Uses a verification link: activates a pending account, or moves the account to the new address it proved.
 * @example
 * const accountId = await verifyEmail(db, vault, tokenFromTheLink);
 */
export async function verifyEmail(db: Kysely<Database>, vault: Vault, token: string): Promise<string> {
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
    const newEmail = await vault.open(trx, row.new_email);
    // Null only once the account's key is destroyed: the account is erased, and its link with it.
    if (newEmail === null) throw new AccountError('invalid_token', 'this link is invalid or has expired: ask for a new one');
    if ((await accountByEmail(trx, vault, newEmail)) !== undefined) throw new AccountError('email_taken', 'that address is now used by another account');
    await trx
      .updateTable('accounts')
      .set({ email: await vault.seal(trx, row.account_id, newEmail), email_hash: emailHash(vault, newEmail), updated_at: sql`now()` })
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
 * const { id, role } = await logIn(db, vault, limiter, { email, password }, { ip: '203.0.113.7' });
 */
export async function logIn(
  db: Kysely<Database>,
  vault: Vault,
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
  const account = await accountByEmail(db, vault, credentials.email);
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

/**
 * The account as its owner sees it, the address opened; undefined once it is erased.
 * @example
 * const me = await getAccountSummary(db, vault, caller.accountId); // { id, email: 'ana@example.org', role, status, createdAt }
 */
export async function getAccountSummary(db: Kysely<Database>, vault: Vault, accountId: string): Promise<AccountSummary | undefined> {
  const row = await db.selectFrom('accounts').select(['id', 'email', 'role', 'status', 'created_at']).where('id', '=', accountId).executeTakeFirst();
  const email = await vault.open(db, row?.email ?? null);
  if (row === undefined || email === null) return undefined;
  return { id: row.id, email, role: row.role, status: row.status, createdAt: row.created_at };
}

/** An account as an operator lists it: the address opened, null once erased. */
export type AccountListing = Omit<AccountSummary, 'email'> & { readonly email: string | null };

/**
 * Every account, oldest first, a page at a time, each address opened with one key read per page. With `email`, only
 * the account of that address (any case): addresses are sealed, so only the whole address can be found, by its hash.
 * @example const first = await listAccounts(db, vault, { limit: 50, offset: 0 });
 * @example const [ana] = await listAccounts(db, vault, { limit: 1, offset: 0, email: 'Ana@Example.org' });
 */
export async function listAccounts(
  db: Kysely<Database>,
  vault: Vault,
  page: { limit: number; offset: number; email?: string | undefined },
): Promise<AccountListing[]> {
  const { email } = page;
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'email', 'role', 'status', 'created_at'])
    .$if(email !== undefined, (query) => query.where('email_hash', '=', emailHash(vault, email!)))
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const emails = await vault.openAll(
    db,
    rows.map((row) => row.email),
  );
  return rows.map((row, i) => ({ id: row.id, email: emails[i] ?? null, role: row.role, status: row.status, createdAt: row.created_at }));
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
