import { describe, expect, it, vi } from 'vitest';
import { startApp } from '../harness/app-process.ts';
import { startSmtp } from '../harness/smtp.ts';

// Each test runs a process of its own (its own in-memory database, port and mail server): they run at once.
describe.concurrent('the jobs role', () => {
  it('delivers the outbox over SMTP_URL: a sign-up on the real process yields a mail', async () => {
    const smtp = await startSmtp();
    const app = startApp({
      PGLITE_DATA_DIR: 'memory://',
      HTTP_PORT: '0',
      DIALO_ROLES: 'api,jobs',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Dialo <no-reply@dialo.test>',
    });
    try {
      const url = await app.url;
      const signup = await fetch(`${url}/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'process@example.org', password: 'a long enough passphrase' }),
      });
      expect(signup.status).toBe(202);
      const mail = await smtp.waitFor('process@example.org', /Confirm your e-mail/, 30_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${app.stdout()}${app.stderr()}`);
      });
      expect(mail.text).toContain('http://127.0.0.1:8080/verify-email?token=');
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
      await smtp.close();
    }
  }, 90_000);

  it('without SMTP_URL writes the mail to its log, one JSON line with the link, which verifies the account', async () => {
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', HTTP_PORT: '0', DIALO_ROLES: 'api,jobs' });
    try {
      const url = await app.url;
      const email = 'nosmtp@example.org';
      const signup = await fetch(`${url}/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'a long enough passphrase' }),
      });
      expect(signup.status).toBe(202);
      expect(await (await fetch(`${url}/auth/config`)).json()).toEqual({ mailDelivery: 'log' });
      const mailLines = () =>
        app
          .stdout()
          .split('\n')
          .filter((line) => line.includes('"msg":"mail not sent'))
          .map((line) => JSON.parse(line) as { msg: string; to: string; links: string[] });
      await vi.waitFor(() => expect(mailLines()).toHaveLength(1), { timeout: 30_000, interval: 200 });
      const [line] = mailLines();
      expect(line?.msg).toMatch(
        /^mail not sent \(SMTP_URL unset\): "Confirm your e-mail address for Dialo" to nosmtp@example\.org: http:\/\/127\.0\.0\.1:8080\/verify-email\?token=\S+$/,
      );
      const token = new URL(line!.links[0]!).searchParams.get('token');
      expect((await fetch(`${url}/auth/verify?token=${token}`)).status).toBe(200);
      // The job's next run logs nothing: still one line.
      const quietRun = () =>
        app
          .stdout()
          .split('\n')
          .slice(
            app
              .stdout()
              .split('\n')
              .findIndex((text) => text.includes('"msg":"mail not sent')),
          )
          .some((text) => /"job":"email-log".*"logged":0/.test(text));
      await vi.waitFor(() => expect(quietRun()).toBe(true), { timeout: 30_000, interval: 200 });
      expect(mailLines()).toHaveLength(1);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  }, 90_000);
});
