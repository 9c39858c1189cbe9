/**
 * Accounts and their mail hold no plain personal data (core/privacy/vault.ts): the address, the name, a pending new
 * address and account mail are sealed under the account's key, and addresses are found by their keyed hash. Through
 * the real routes: what the database holds, that sign-in, reset and a change of address still ignore case, that a
 * taken address is still refused without telling, and that with the key gone nothing of the account opens.
 */
import { expect, it } from 'vitest';
import { emailHash } from '../../../core/accounts/email-address.ts';
import { createVault } from '../../../core/privacy/vault.ts';
import {
  TEST_MASTER_KEY,
  TEST_PASSWORD,
  TEST_VAULT,
  latestMail,
  linkPath,
  logIn,
  mailsOf,
  openedAccount,
  signIn,
  uniqueEmail,
  useTestApi,
  verificationRequest,
} from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { findEverywhere } from '../../harness/privacy.ts';

const NEW_PASSWORD = 'a brand new passphrase';
const SEALED = /^v1\.[0-9a-f-]{36}\./;

describeEachDialect('sealed accounts', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;
  const rawAccount = (accountId: string) =>
    db().selectFrom('accounts').select(['email', 'email_hash', 'display_name']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const rawMails = (accountId: string) =>
    db().selectFrom('email_outbox').select(['kind', 'to_address', 'subject', 'body_text']).where('account_id', '=', accountId).orderBy('id').execute();

  it('holds the address, the name, a new address and account mail only sealed; the owner and the export see them plain', async () => {
    const user = await signIn(api(), db());
    const name = `Ada Lovelace ${user.accountId.slice(0, 8)}`;
    const moving = uniqueEmail('moving');
    const change = await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { displayName: name, email: moving } });
    expect(change.json()).toEqual({ emailPending: true });
    await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: user.email } });

    const account = await rawAccount(user.accountId);
    expect(account.email).toMatch(SEALED);
    expect(account.display_name).toMatch(SEALED);
    expect(account.email_hash).toBe(emailHash(TEST_VAULT, user.email));
    const token = await db()
      .selectFrom('email_tokens')
      .select('new_email')
      .where('account_id', '=', user.accountId)
      .where('new_email', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(token.new_email).toMatch(SEALED);
    const mails = await rawMails(user.accountId);
    expect(mails.map((mail) => mail.kind)).toEqual(['verify_email', 'verify_email', 'password_reset']);
    for (const mail of mails) expect(mail.to_address).toMatch(SEALED);
    // Mail queued for the one account is sealed whole; the reset link's text names nobody and stays plain (see enqueueOwnerEmail).
    for (const mail of mails.slice(0, 2)) expect([mail.subject, mail.body_text]).toEqual([expect.stringMatching(SEALED), expect.stringMatching(SEALED)]);
    for (const plain of [user.email, name, moving]) expect(await findEverywhere(db(), plain), plain).toEqual([]);

    expect((await api().inject({ method: 'GET', url: '/auth/me', headers: user.headers })).json()).toMatchObject({ email: user.email });
    expect((await mailsOf(db(), user.accountId)).map((mail) => mail.to_address)).toEqual([user.email, moving, user.email]);
    const exported = (await api().inject({ method: 'GET', url: '/privacy/export', headers: user.headers })).json();
    expect(exported.data.accounts).toEqual([expect.objectContaining({ email: user.email, display_name: name })]);
    expect(exported.data.email_tokens).toEqual(expect.arrayContaining([expect.objectContaining({ new_email: moving })]));
    expect(exported.data.email_outbox.map((mail: { to_address: string }) => mail.to_address)).toEqual([user.email, moving, user.email]);
  });

  it('signs in, resets and changes the address whatever the case, and keeps the case the owner typed', async () => {
    const user = await signIn(api(), db(), { email: uniqueEmail('Mixed').replace('@example.org', '@Example.ORG') });
    expect((await logIn(api(), user.email.toLowerCase())).accountId).toBe(user.accountId);
    expect((await logIn(api(), user.email.toUpperCase())).accountId).toBe(user.accountId);

    await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: user.email.toUpperCase() } });
    const reset = await latestMail(db(), user.email, 'password_reset');
    const token = new URL(linkPath(reset.body_text), 'http://x').searchParams.get('token');
    expect((await api().inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, password: NEW_PASSWORD } })).statusCode).toBe(204);
    const signedIn = await logIn(api(), user.email.toLowerCase(), NEW_PASSWORD);

    const moved = uniqueEmail('Moved');
    await api().inject({ method: 'PATCH', url: '/account/profile', headers: signedIn.headers, payload: { email: moved } });
    const verify = await latestMail(db(), moved, 'verify_email');
    expect((await api().inject({ method: 'GET', url: verificationRequest(verify.body_text) })).statusCode).toBe(200);
    expect((await logIn(api(), moved.toLowerCase(), NEW_PASSWORD)).accountId).toBe(user.accountId);
    expect((await api().inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: NEW_PASSWORD } })).statusCode).toBe(401);
    expect(await openedAccount(db(), user.accountId)).toEqual({ email: moved, display_name: null });
    expect((await rawAccount(user.accountId)).email_hash).toBe(emailHash(TEST_VAULT, moved.toUpperCase()));

    // Only the case changes: at once, no link, the same hash.
    const recased = moved.replace('@example.org', '@EXAMPLE.org');
    expect((await api().inject({ method: 'PATCH', url: '/account/profile', headers: signedIn.headers, payload: { email: recased } })).json()).toEqual({
      emailPending: false,
    });
    expect(await openedAccount(db(), user.accountId)).toEqual({ email: recased, display_name: null });
  });

  it('answers a sign-up with a taken address (any case) like a new one, mails the owner, and keeps no key for it', async () => {
    const user = await signIn(api(), db());
    const keys = async () => Number((await db().selectFrom('key_store.account_keys').select(db().fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await keys();
    const signUp = (email: string) => api().inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD } });
    const taken = await signUp(user.email.toUpperCase());
    const fresh = await signUp(uniqueEmail('fresh'));
    expect([taken.statusCode, taken.body]).toEqual([fresh.statusCode, fresh.body]);
    // The new address made one account and one key; the taken one neither.
    expect(await keys()).toBe(before + 1);
    const holders = await db().selectFrom('accounts').select('id').where('email_hash', '=', emailHash(TEST_VAULT, user.email)).execute();
    expect(holders).toEqual([{ id: user.accountId }]);
    expect((await latestMail(db(), user.email)).kind).toBe('already_registered');
  });

  it('erases the lookup hash with the account, and a copy of its rows taken before opens to nothing once the key is gone', async () => {
    const user = await signIn(api(), db());
    await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { displayName: 'Grace Hopper' } });
    const backup = [
      ...Object.values(await rawAccount(user.accountId)),
      ...(await rawMails(user.accountId)).flatMap((mail) => [mail.to_address, mail.body_text]),
    ];
    expect(await createVault(TEST_MASTER_KEY).openAll(db(), backup)).toContain(user.email);

    const deletion = await api().inject({ method: 'POST', url: '/privacy/deletion', headers: user.headers, payload: { password: user.password } });
    expect(deletion.statusCode).toBe(202);
    expect(await rawAccount(user.accountId)).toEqual({ email: null, email_hash: null, display_name: null });
    // A node that cached nothing, as every node is once it has polled the key store: the sealed copy is unreadable.
    const opened = await createVault(TEST_MASTER_KEY).openAll(
      db(),
      backup.filter((value) => value !== null && SEALED.test(value)),
    );
    expect(opened.every((value) => value === null)).toBe(true);
    // The address is free again.
    expect((await signIn(api(), db(), { email: user.email })).accountId).not.toBe(user.accountId);
  });

  it('opens nothing of an account whose key is shredded', async () => {
    const user = await signIn(api(), db());
    await api().inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload: { displayName: 'Katherine Johnson' } });
    expect(await TEST_VAULT.shred(db(), user.accountId)).toBe(true);
    const vault = createVault(TEST_MASTER_KEY);
    const account = await rawAccount(user.accountId);
    expect(await vault.openAll(db(), [account.email, account.display_name])).toEqual([null, null]);
    const mails = await rawMails(user.accountId);
    expect(mails.length).toBeGreaterThan(0);
    expect(
      await vault.openAll(
        db(),
        mails.flatMap((mail) => [mail.to_address, mail.subject, mail.body_text]),
      ),
    ).toEqual(mails.flatMap(() => [null, null, null]));
  });
});
