import { expect, it } from 'vitest';
import { deliverOutbox } from '../../../core/email/delivery.ts';
import { DEFAULT_AUTH_LIMITS as LIMITS } from '../../../core/accounts/throttle.ts';
import { smtpTransport } from '../../../jobs/email-delivery.ts';
import { TEST_PASSWORD, TEST_VAULT, logIn, mailsTo, signIn, uniqueEmail, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { useSmtp } from '../../harness/smtp.ts';

const NEW_PASSWORD = 'a brand new passphrase';
let ipCounter = 0;
/** A fresh source address per test, so per-IP limits of one test do not leak into another. */
const freshIp = () => `198.51.100.${++ipCounter}`;

describeEachDialect('passwords and attempt limits', (database) => {
  const api = useTestApi(database);
  const mailbox = useSmtp();

  const deliver = () => deliverOutbox(database().db, TEST_VAULT, smtpTransport({ url: mailbox().url, from: 'Dialo <no-reply@dialo.test>' }));
  const me = (headers: Record<string, string>) => api().inject({ method: 'GET', url: '/auth/me', headers });
  const login = (email: string, password: string, remoteAddress = freshIp()) =>
    api().inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress });

  it('resets a forgotten password by the mailed link, ending every session', async () => {
    const ana = await signIn(api(), database().db);
    const request = await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: ana.email }, remoteAddress: freshIp() });
    expect(request.statusCode).toBe(202);
    await deliver();
    const mail = await mailbox().waitFor(ana.email, /Reset your Dialo password/);
    const token = new URL(/http\S+/.exec(mail.text ?? '')?.[0] ?? '').searchParams.get('token');
    const confirm = await api().inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, password: NEW_PASSWORD } });
    expect(confirm.statusCode).toBe(204);
    expect((await me(ana.headers)).statusCode).toBe(401);
    expect((await login(ana.email, TEST_PASSWORD)).statusCode).toBe(401);
    expect((await login(ana.email, NEW_PASSWORD)).statusCode).toBe(200);
    expect(
      (await api().inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, password: 'yet another passphrase' } })).statusCode,
    ).toBe(400);
    await deliver();
    await mailbox().waitFor(ana.email, /password was changed/);
  });

  it('answers a reset request for an unknown address exactly like a known one, and mails nobody', async () => {
    const ana = await signIn(api(), database().db);
    const nobody = uniqueEmail('nobody');
    const known = await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: ana.email }, remoteAddress: freshIp() });
    const unknown = await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: nobody }, remoteAddress: freshIp() });
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    expect(await mailsTo(database().db, nobody)).toEqual([]);
  });

  it('keeps a weak new password out and the reset link usable', async () => {
    const ana = await signIn(api(), database().db);
    await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: ana.email }, remoteAddress: freshIp() });
    await deliver();
    const mail = await mailbox().waitFor(ana.email, /Reset/);
    const token = new URL(/http\S+/.exec(mail.text ?? '')?.[0] ?? '').searchParams.get('token');
    const weak = await api().inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, password: 'password123' } });
    expect(weak.statusCode).toBe(400);
    expect((await login(ana.email, TEST_PASSWORD)).statusCode).toBe(200);
    const strong = await api().inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, password: NEW_PASSWORD } });
    expect(strong.statusCode).toBe(204);
  });

  it('changes the password with the current one, keeping this session and ending the others', async () => {
    const ana = await signIn(api(), database().db);
    const other = await logIn(api(), ana.email);
    const wrong = await api().inject({
      method: 'POST',
      url: '/auth/password',
      headers: ana.headers,
      payload: { currentPassword: 'not my password', newPassword: NEW_PASSWORD },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await me(ana.headers)).statusCode).toBe(200);
    const audited = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('subject_account_id', '=', ana.accountId)
      .where('action', '=', 'auth.reauth_failed')
      .execute();
    expect(audited).toHaveLength(1);

    const right = await api().inject({
      method: 'POST',
      url: '/auth/password',
      headers: ana.headers,
      payload: { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(right.statusCode).toBe(204);
    expect((await me(ana.headers)).statusCode).toBe(200);
    expect((await me(other.headers)).statusCode).toBe(401);
    expect((await login(ana.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('limits reset requests per address', async () => {
    const ana = await signIn(api(), database().db);
    for (let attempt = 0; attempt < LIMITS.resetPerAddress.max; attempt++) {
      expect((await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: ana.email }, remoteAddress: freshIp() })).statusCode).toBe(
        202,
      );
    }
    const blocked = await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: ana.email }, remoteAddress: freshIp() });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ status: 429, type: 'https://dialo.dev/problems/rate-limited' });
    expect(await mailsTo(database().db, ana.email, 'password_reset')).toHaveLength(LIMITS.resetPerAddress.max);
  });
});
