/** logger.ts and core/client-address.ts: what a log line may hold of a secret or a client address. */
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { logAddress, logCallId } from '../../core/client-address.ts';
import { createLogger, withoutQueryValues } from '../../logger.ts';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('trace', sink), lines };
}

describe('log lines', () => {
  it('redact every secret-named field at any depth, and leave the rest', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'p-one',
        body: { newPassword: 'p-two', token: 't-one', nested: [{ csrfToken: 't-two' }], count: 3 },
        headers: { cookie: 'dialo_session=c-one', authorization: 'Bearer c-two', 'x-csrf-token': 't-three', 'user-agent': 'Kept/1.0' },
        sip: { ha1_md5: 'h-one', secret: 's-one', username: 'kept-user' },
        links: ['http://example.org/kept'],
        counts: { email_tokens: 4, passwordChanged: true },
      },
      'a careless line',
    );
    const line = lines.join('');
    for (const secret of ['p-one', 'p-two', 't-one', 't-two', 't-three', 'c-one', 'c-two', 'h-one', 's-one']) expect(line).not.toContain(secret);
    for (const kept of ['Kept/1.0', 'kept-user', '"count":3', 'http://example.org/kept', 'a careless line', '"email_tokens":4', '"passwordChanged":true'])
      expect(line).toContain(kept);
  });

  it('log requests without query values, headers or the full client address', () => {
    const { logger, lines } = capture();
    const req = {
      method: 'GET',
      url: '/auth/verify?token=t-one&x=2',
      host: 'h',
      ip: '203.0.113.91',
      headers: { cookie: 'c-one' },
      socket: { remotePort: 51234 },
    };
    logger.info({ req }, 'incoming request');
    expect(JSON.parse(lines[0]!).req).toEqual({ method: 'GET', url: '/auth/verify?token=[redacted]&x=[redacted]', host: 'h', remoteAddress: '203.0.113.0/24' });
    expect(withoutQueryValues('/plain')).toBe('/plain');
  });

  it('log a routed request by its pattern, so a number or id in the path stays out', async () => {
    const { logger, lines } = capture();
    const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
    app.get('/admin/dids/:e164', async () => ({ ok: true }));
    await app.inject({ method: 'GET', url: '/admin/dids/+14155550142?reason=x' });
    await app.inject({ method: 'GET', url: '/unrouted/4155550143' });
    await app.close();
    const urls = lines.map((line) => JSON.parse(line) as { req?: { url: string } }).flatMap((line) => (line.req === undefined ? [] : [line.req.url]));
    expect(urls).toEqual(['/admin/dids/:e164?reason=[redacted]', '/unrouted/4155550143']);
    expect(lines.join('')).not.toContain('4155550142');
  });

  it("log an error without Postgres's detail, which quotes the refused values", () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('duplicate key value violates unique constraint "accounts_email_key"'), {
      code: '23505',
      detail: 'Key (lower(email))=(ana@example.org) already exists.',
    });
    logger.error({ err: error }, 'request failed');
    expect(JSON.parse(lines[0]!).err).toMatchObject({ message: expect.stringContaining('accounts_email_key'), code: '23505' });
    expect(lines[0]).not.toContain('ana@example.org');
  });

  // What each value is logged as.
  const addresses = {
    '203.0.113.91': '203.0.113.0/24',
    '::ffff:198.51.100.7': '198.51.100.0/24',
    '2001:db8:85a3:1234:8a2e:370:7334:1': '2001:db8:85a3::/48',
    '2001:0db8::1': '2001:db8:0::/48',
    '::1': '0:0:0::/48',
    'fe80::1%eth0': 'fe80:0:0::/48',
    'not-an-ip': '[not an address]',
  };
  const callIds = {
    'a84b4c76e66710@192.0.2.4': 'a84b4c76e66710@192.0.2.0/24',
    '3848276298220188511@[2001:db8:1:2::7]': '3848276298220188511@2001:db8:1::/48',
    'f81d4fae@ana-laptop.local': 'f81d4fae@[host]',
    '0d1b6f2e-7c1a-4f33-9c55-3c4d1e2f6a7b': '0d1b6f2e-7c1a-4f33-9c55-3c4d1e2f6a7b',
  };
  it('truncate client addresses (IPv4 to /24, IPv6 to /48) and the address in a Call-ID', () => {
    for (const [address, logged] of Object.entries(addresses)) expect(logAddress(address), address).toBe(logged);
    for (const [callId, logged] of Object.entries(callIds)) expect(logCallId(callId), callId).toBe(logged);
  });
});
