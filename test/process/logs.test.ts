/**
 * What the real process writes (stdout and stderr, at LOG_LEVEL=trace) while a user signs up, opens the verification
 * link, logs in, gets SIP credentials, resets the password and logs in again: no token, cookie, CSRF token, password,
 * SIP credential, push subscription or configured secret (the VAPID private key too) in any line, but for the one documented `mail not sent` line that carries a
 * mailed link when SMTP_URL is unset; and the client's address only truncated to its /24.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIL_NOT_SENT } from '../../jobs/email-log.ts';
import { startApp, type AppProcess } from '../harness/app-process.ts';

/** Every request comes from this loopback address (Linux answers all of 127/8), so the log's view of it is known. */
const CLIENT = '127.0.0.77';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly cookies: Record<string, string>;
}

function send(base: string, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const headers = { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
    const req = request(url, { method, headers, localAddress: CLIENT }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        const cookies = Object.fromEntries((res.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]!.split('=') as [string, string]));
        resolve({ status: res.statusCode ?? 0, body, cookies });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('what the process logs', { timeout: 120_000 }, () => {
  const vapid = createECDH('prime256v1');
  vapid.generateKeys();
  const secrets = {
    SIP_SECRET: randomBytes(24).toString('hex'),
    PRIVACY_HASH_KEY: randomBytes(24).toString('hex'),
    VAPID_PRIVATE_KEY: vapid.getPrivateKey('base64url'),
  };
  const vapidPublicKey = vapid.getPublicKey('base64url');
  let app: AppProcess | undefined;
  afterAll(() => void app?.child.kill('SIGKILL'));

  /** The link of the next `mail not sent` line after `seen` lines of stdout (the jobs role writes it within 5 s). */
  async function mailedToken(seen: number): Promise<string> {
    for (;;) {
      const line = app!
        .stdout()
        .split('\n')
        .slice(seen)
        .find((candidate) => candidate.includes(MAIL_NOT_SENT));
      const token = line && /token=([^\s"&]+)/.exec(line)?.[1];
      if (token) return decodeURIComponent(token);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const lineCount = () => app!.stdout().split('\n').length - 1;

  it('holds no token, cookie, password or secret but in the documented mail line, and client addresses only as /24', async () => {
    app = startApp({ PGLITE_DATA_DIR: 'memory://', HTTP_PORT: '0', DIALO_ROLES: 'api,jobs', LOG_LEVEL: 'trace', VAPID_PUBLIC_KEY: vapidPublicKey, ...secrets });
    const base = await app.url;
    const email = `logs-${randomBytes(4).toString('hex')}@example.org`;
    const [password, newPassword, wrongPassword] = ['first passphrase 7731', 'second passphrase 1904', 'wrong passphrase 5560'];
    const issued: Record<string, string> = { ...secrets, password, newPassword, wrongPassword };
    const json = (value: object) => JSON.stringify(value);

    let seen = lineCount();
    expect((await send(base, 'POST', '/auth/signup', { body: json({ email, password }) })).status).toBe(202);
    issued.verifyToken = await mailedToken(seen);
    expect((await send(base, 'GET', `/auth/verify?token=${encodeURIComponent(issued.verifyToken)}`)).status).toBe(200);

    expect((await send(base, 'POST', '/auth/login', { body: json({ email, password: wrongPassword }) })).status).toBe(401);
    const login = await send(base, 'POST', '/auth/login', { body: json({ email, password }) });
    expect(login.status).toBe(200);
    const [session, csrf] = [login.cookies.dialo_session!, JSON.parse(login.body).csrfToken as string];
    Object.assign(issued, { session, csrf });
    const headers = { cookie: `dialo_session=${session}; dialo_csrf=${csrf}`, 'x-csrf-token': csrf };
    expect((await send(base, 'GET', '/auth/me', { headers })).status).toBe(200);
    const sip = await send(base, 'POST', '/sip/credentials', { headers });
    expect(sip.status).toBe(200);
    issued.sipPassword = JSON.parse(sip.body).password;
    // A browser's push subscription: its endpoint names the device, its auth secret lets anyone push to it.
    expect(JSON.parse((await send(base, 'GET', '/push/config')).body)).toEqual({ publicKey: vapidPublicKey });
    const browser = createECDH('prime256v1');
    browser.generateKeys();
    Object.assign(issued, {
      pushEndpoint: `https://fcm.googleapis.com/fcm/send/${randomBytes(12).toString('hex')}`,
      pushAuth: randomBytes(16).toString('base64url'),
    });
    const subscription = { endpoint: issued.pushEndpoint, keys: { p256dh: browser.getPublicKey('base64url'), auth: issued.pushAuth } };
    expect((await send(base, 'POST', '/push/subscriptions', { headers, body: json(subscription) })).status).toBe(201);
    // Secrets where they do not belong: in a header, a query string, a body that fails to parse or validate.
    expect((await send(base, 'GET', `/no-such-page?token=${session}`, { headers: { authorization: `Bearer ${session}` } })).status).toBe(404);
    expect((await send(base, 'POST', '/auth/login', { body: `{"email":"${email}","password":"${password}"` })).status).toBe(400);
    expect((await send(base, 'POST', '/auth/login', { body: json({ email, password, extra: csrf }) })).status).toBe(400);

    seen = lineCount();
    expect((await send(base, 'POST', '/auth/password-reset', { body: json({ email }) })).status).toBe(202);
    issued.resetToken = await mailedToken(seen);
    expect((await send(base, 'POST', '/auth/password-reset/confirm', { body: json({ token: issued.resetToken, password: newPassword }) })).status).toBe(204);
    const again = await send(base, 'POST', '/auth/login', { body: json({ email, password: newPassword }) });
    expect(again.status).toBe(200);
    issued.secondSession = again.cookies.dialo_session!;
    issued.secondCsrf = JSON.parse(again.body).csrfToken;

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const lines = `${app.stdout()}\n${app.stderr()}`.split('\n');
    const mailLines = lines.filter((line) => line.includes(MAIL_NOT_SENT));
    const others = lines.filter((line) => !line.includes(MAIL_NOT_SENT));
    expect(mailLines).toHaveLength(2);
    for (const [name, value] of Object.entries(issued)) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(others.filter((line) => line.includes(value)).join('\n'), name).toBe('');
      if (name !== 'verifyToken' && name !== 'resetToken') expect(mailLines.filter((line) => line.includes(value)).join('\n'), name).toBe('');
    }
    // The request log has the client, truncated; the full address is nowhere.
    const requests = others.filter((line) => line.includes('"req":{'));
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.every((line) => line.includes('"remoteAddress":"127.0.0.0/24"'))).toBe(true);
    expect(lines.filter((line) => line.includes(CLIENT))).toEqual([]);
  });
});
