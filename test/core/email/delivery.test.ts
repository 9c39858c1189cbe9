import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { deliverOutbox, MAX_ATTEMPTS } from '../../../core/email/delivery.ts';
import { enqueueEmail } from '../../../core/email/outbox.ts';
import { createVault } from '../../../core/privacy/vault.ts';
import { smtpTransport } from '../../../jobs/email-delivery.ts';
import { freePort } from '../../harness/external.ts';
import { TEST_MASTER_KEY, TEST_PASSWORD, TEST_VAULT, latestMail, signIn, uniqueEmail, useTestApi, verificationRequest } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { useSmtp } from '../../harness/smtp.ts';

const FROM = 'Dialo <no-reply@dialo.test>';

describeEachDialect('e-mail outbox delivery', (database) => {
  const api = useTestApi(database);
  const mailbox = useSmtp();

  const outboxRow = (to: string) => latestMail(database().db, to);
  /** Makes every waiting mail due now, as if its retry time had come. */
  const makeDue = () =>
    database()
      .db.updateTable('email_outbox')
      .set({ next_attempt_at: sql`now()` })
      .where('sent_at', 'is', null)
      .execute();

  it('sends the verification mail over SMTP once, and its link verifies the account', async () => {
    const email = uniqueEmail();
    await api().inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD } });
    const transport = smtpTransport({ url: mailbox().url, from: FROM });
    expect((await deliverOutbox(database().db, TEST_VAULT, transport)).sent).toBeGreaterThanOrEqual(1);
    const mail = await mailbox().waitFor(email, /Confirm your e-mail/);
    expect(mail.from?.text).toBe('"Dialo" <no-reply@dialo.test>');
    expect((await api().inject({ method: 'GET', url: verificationRequest(mail.text ?? '') })).statusCode).toBe(200);
    expect((await outboxRow(email)).sent_at).toBeInstanceOf(Date);

    const count = mailbox().received.length;
    expect(await deliverOutbox(database().db, TEST_VAULT, transport)).toEqual({ sent: 0, failed: 0 });
    expect(mailbox().received.length).toBe(count);
  });

  it('loses nothing while SMTP is down: records the error, retries later, then delivers', async () => {
    const to = uniqueEmail('outage');
    await enqueueEmail(database().db, TEST_VAULT, { accountId: null, kind: 'test', to, subject: 'Outage test', text: 'still here' });
    await makeDue();
    const down = smtpTransport({ url: `smtp://127.0.0.1:${await freePort()}`, from: FROM });
    expect(await deliverOutbox(database().db, TEST_VAULT, down)).toMatchObject({ sent: 0 });
    const failed = await outboxRow(to);
    expect(failed).toMatchObject({ sent_at: null, attempts: 1 });
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(failed.next_attempt_at.getTime()).toBeGreaterThan(Date.now());

    const up = smtpTransport({ url: mailbox().url, from: FROM });
    await deliverOutbox(database().db, TEST_VAULT, up);
    expect((await outboxRow(to)).sent_at).toBeNull(); // not due yet: backoff holds

    await makeDue();
    await deliverOutbox(database().db, TEST_VAULT, up);
    expect((await mailbox().waitFor(to)).text?.trim()).toBe('still here');
    expect(await outboxRow(to)).toMatchObject({ attempts: 2, last_error: null });
  });

  it('retries a mail the server refused for now, and gives up after the last attempt', async () => {
    const to = uniqueEmail('refused');
    await enqueueEmail(database().db, TEST_VAULT, { accountId: null, kind: 'test', to, subject: 'Refused test', text: 'x' });
    const transport = smtpTransport({ url: mailbox().url, from: FROM });
    mailbox().rejectWith = 'mailbox busy';
    try {
      await makeDue();
      await deliverOutbox(database().db, TEST_VAULT, transport);
      expect((await outboxRow(to)).last_error).toMatch(/mailbox busy/);
      await database()
        .db.updateTable('email_outbox')
        .set({ attempts: MAX_ATTEMPTS - 1, next_attempt_at: sql`now()` })
        .where('to_address', '=', to)
        .execute();
      await deliverOutbox(database().db, TEST_VAULT, transport);
      expect(await outboxRow(to)).toMatchObject({ attempts: MAX_ATTEMPTS, sent_at: null });
    } finally {
      mailbox().rejectWith = undefined;
    }
    await makeDue();
    await deliverOutbox(database().db, TEST_VAULT, transport);
    expect(await outboxRow(to)).toMatchObject({ attempts: MAX_ATTEMPTS, sent_at: null });
  });

  it("keeps a refusal quoting an account's address sealed, as the address is", async () => {
    const user = await signIn(api(), database().db);
    const transport = smtpTransport({ url: mailbox().url, from: FROM });
    await deliverOutbox(database().db, TEST_VAULT, transport);
    await enqueueEmail(database().db, TEST_VAULT, { accountId: user.accountId, kind: 'test', to: user.email, subject: 'Quota', text: 'x' });
    mailbox().rejectWith = `mailbox ${user.email} is over quota`;
    try {
      await makeDue();
      expect(await deliverOutbox(database().db, TEST_VAULT, transport)).toMatchObject({ sent: 0 });
    } finally {
      mailbox().rejectWith = undefined;
    }
    const row = await database()
      .db.selectFrom('email_outbox')
      .select('last_error')
      .where('account_id', '=', user.accountId)
      .where('sent_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(row.last_error?.toLowerCase()).not.toContain(user.email.toLowerCase());
    expect(await TEST_VAULT.open(database().db, row.last_error)).toContain(`${user.email} is over quota`);
    await database().db.deleteFrom('email_outbox').where('account_id', '=', user.accountId).execute();
  });

  it("sends an account's mail opened, though the outbox holds it sealed, and drops it once the account's key is gone", async () => {
    const user = await signIn(api(), database().db);
    const transport = smtpTransport({ url: mailbox().url, from: FROM });
    await deliverOutbox(database().db, TEST_VAULT, transport);
    await enqueueEmail(database().db, TEST_VAULT, {
      accountId: user.accountId,
      kind: 'test',
      to: user.email,
      subject: `For ${user.email}`,
      text: 'Dear Ana Lovelace',
    });
    const raw = await database()
      .db.selectFrom('email_outbox')
      .selectAll()
      .where('account_id', '=', user.accountId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(raw)).not.toContain(user.email);
    expect(JSON.stringify(raw)).not.toContain('Lovelace');
    await makeDue();
    expect(await deliverOutbox(database().db, TEST_VAULT, transport)).toEqual({ sent: 1, failed: 0 });
    const mail = await mailbox().waitFor(user.email, /^For /);
    expect(mail.text?.trim()).toBe('Dear Ana Lovelace');

    await enqueueEmail(database().db, TEST_VAULT, { accountId: user.accountId, kind: 'test', to: user.email, subject: 'Never read', text: 'x' });
    await TEST_VAULT.shred(database().db, user.accountId);
    // A node that never cached the key, as every node is once it polls the key store's counter.
    const node = createVault(TEST_MASTER_KEY);
    const count = mailbox().received.length;
    expect(await deliverOutbox(database().db, node, transport)).toEqual({ sent: 0, failed: 0 });
    expect(mailbox().received.length).toBe(count);
    expect(await database().db.selectFrom('email_outbox').select('id').where('account_id', '=', user.accountId).where('sent_at', 'is', null).execute()).toEqual(
      [],
    );
  });
});
