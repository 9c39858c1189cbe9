import { describe, expect, it } from 'vitest';
import { startApp } from '../harness/app-process.ts';
import { startSmtp } from '../harness/smtp.ts';

describe('the jobs role', () => {
  it('delivers the outbox over SMTP_URL: a sign-up on the real process yields a mail', async () => {
    const smtp = await startSmtp();
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', HTTP_PORT: '0', DIALO_ROLES: 'api,jobs', SMTP_URL: smtp.url, MAIL_FROM: 'Dialo <no-reply@dialo.test>' });
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
});
