// The registrar's decisions against a real database on every dialect; the wire (drachtio + sipp) is in registrar.test.ts.
import { BindingRefreshes } from '../../../core/binding-refreshes.ts';
import { VersionedCache } from '../../../core/versioned-cache.ts';
import type { SipCredential } from '../../../core/accounts/sip-credentials.ts';
import { beforeAll, expect, it } from 'vitest';
import { AddressBlocks } from '../../../core/abuse/address-blocks.ts';
import { issueBrowserCredentials, setStaticSipCredential } from '../../../core/accounts/sip-credentials.ts';
import { liveBindings, sweepExpiredRegistrations } from '../../../core/registrations.ts';
import { createLogger } from '../../../logger.ts';
import { NonceIssuer } from '../../../signaling/auth/nonces.ts';
import { handleRegister, type RegisterRequest, type RegistrarDeps } from '../../../signaling/registrar/register.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { answerChallenge } from '../../harness/digest-client.ts';

const SECRET = 'x'.repeat(40);
const REALM = 'dialo.test';

describeEachDialect('registrar decisions', (database) => {
  let clock = new Date('2026-11-29T10:00:00Z');
  let deps: RegistrarDeps;
  let accountId: string;
  let callSeq = 0;

  beforeAll(async () => {
    const { db } = database();
    const account = await db.insertInto('accounts').values({ email: 'phone@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    accountId = account.id;
    await setStaticSipCredential(db, { accountId, username: 'deskphone', realm: REALM, password: 'correct horse' });
    deps = {
      auth: {
        db,
        nonces: new NonceIssuer(SECRET, 300_000),
        credentials: new VersionedCache<string, SipCredential>({ topic: 'sip-credentials', pollMs: 1000, maxEntries: 100 }),
        bruteForce: new AddressBlocks({ maxStrikes: 3, maxStrikesPerAddress: 6, windowMs: 60_000, blockMs: 120_000 }),
        realm: REALM,
        credentialSecret: SECRET,
        challengeAlgorithm: 'MD5',
        logger: createLogger('silent'),
        now: () => clock,
      },
      refreshes: new BindingRefreshes(db, { concurrency: 2, maxBatch: 50 }),
      options: { minExpires: 60, maxExpires: 3600, defaultExpires: 3600, maxBindings: 4, maxContactLength: 300 },
    };
  });

  function request(overrides: Partial<RegisterRequest> = {}): RegisterRequest {
    return {
      uri: `sip:${REALM}`,
      callId: `call-${++callSeq}`,
      cseq: 1,
      authorization: undefined,
      toUser: 'deskphone',
      contacts: [{ uri: 'sip:deskphone@192.0.2.10:5060', expires: undefined }],
      expires: 600,
      transport: 'udp',
      sourceAddress: '192.0.2.10',
      sourcePort: 5060,
      drachtioServer: '127.0.0.1:5060',
      userAgent: 'test-phone',
      ...overrides,
    };
  }

  /** REGISTER without credentials, then again answering the challenge: what a UA does. */
  async function register(username: string, password: string, overrides: Partial<RegisterRequest> = {}) {
    const first = request({ toUser: username, ...overrides });
    const challenge = await handleRegister(deps, first);
    expect(challenge.status).toBe(401);
    const authorization = answerChallenge({ challenge: challenge.headers['WWW-Authenticate'] ?? '', method: 'REGISTER', uri: first.uri, username, password });
    return { reply: await handleRegister(deps, { ...first, cseq: first.cseq + 1, authorization }), authorization, request: first };
  }

  it('challenges, then registers a static credential and lists the binding', async () => {
    const { reply } = await register('deskphone', 'correct horse');
    expect(reply.status).toBe(200);
    expect(reply.headers.Contact).toBe('<sip:deskphone@192.0.2.10:5060>;expires=600');
    const rows = await database().db.selectFrom('registrations').selectAll().where('account_id', '=', accountId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ username: 'deskphone', transport: 'udp', source_address: '192.0.2.10', source_port: 5060, user_agent: 'test-phone' });
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    const wrong = await register('deskphone', 'wrong horse', { sourceAddress: '198.51.100.1' });
    const unknown = await register('nobody', 'whatever', { sourceAddress: '198.51.100.2' });
    expect([wrong.reply.status, wrong.reply.headers['X-Reason']]).toEqual([403, 'bad-credentials']);
    expect([unknown.reply.status, unknown.reply.headers['X-Reason']]).toEqual([403, 'bad-credentials']);
  });

  it('re-challenges a replayed authorization with stale=true and changes nothing', async () => {
    const {
      reply,
      authorization,
      request: first,
    } = await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:replay@192.0.2.10', expires: 300 }] });
    expect(reply.status).toBe(200);
    await database().db.deleteFrom('registrations').where('contact', '=', 'sip:replay@192.0.2.10').execute();
    const replay = await handleRegister(deps, { ...first, cseq: 5, authorization });
    expect(replay.status).toBe(401);
    expect(replay.headers['WWW-Authenticate']).toMatch(/stale=true/);
    expect(replay.headers['X-Reason']).toBe('nonce-replayed');
    expect((await liveBindings(database().db, accountId, 'deskphone', clock)).map((b) => b.contact)).not.toContain('sip:replay@192.0.2.10');
  });

  it('re-challenges an expired nonce with stale=true', async () => {
    const first = request();
    const challenge = await handleRegister(deps, first);
    clock = new Date(clock.getTime() + 301_000);
    const authorization = answerChallenge({
      challenge: challenge.headers['WWW-Authenticate'] ?? '',
      method: 'REGISTER',
      uri: first.uri,
      username: 'deskphone',
      password: 'correct horse',
    });
    const reply = await handleRegister(deps, { ...first, cseq: 2, authorization });
    expect([reply.status, reply.headers['X-Reason']]).toEqual([401, 'nonce-stale']);
    expect(reply.headers['WWW-Authenticate']).toMatch(/stale=true/);
  });

  it('registers browser credentials until they expire, and refuses a tampered username', async () => {
    const creds = issueBrowserCredentials(SECRET, accountId, clock, 3600);
    const ok = await register(creds.username, creds.password, { transport: 'ws', contacts: [{ uri: 'sip:abc@x.invalid;transport=ws', expires: 600 }] });
    expect(ok.reply.status).toBe(200);

    const tamperedUser = creds.username.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    const tampered = await register(tamperedUser, creds.password, { sourceAddress: '198.51.100.3' });
    expect([tampered.reply.status, tampered.reply.headers['X-Reason']]).toEqual([403, 'bad-credentials']);

    const old = issueBrowserCredentials(SECRET, accountId, new Date(clock.getTime() - 7200_000), 3600);
    const expired = await register(old.username, old.password);
    expect([expired.reply.status, expired.reply.headers['X-Reason']]).toEqual([403, 'credentials-expired']);
  });

  it('with its credential cache polled: a changed password, a disabled account and an expired browser credential are refused after the next poll', async () => {
    const { db } = database();
    const credentials = new VersionedCache<string, SipCredential>({ topic: 'sip-credentials', pollMs: 60_000, maxEntries: 100 });
    const saved = deps;
    deps = { ...saved, auth: { ...saved.auth, credentials } };
    try {
      const poll = () => credentials.poll(db, clock.getTime());
      await poll();
      expect((await register('deskphone', 'correct horse')).reply.status).toBe(200);
      const browser = issueBrowserCredentials(SECRET, accountId, clock, 120);
      const tab = { transport: 'ws' as const, contacts: [{ uri: 'sip:tab@x.invalid;transport=ws', expires: 60 }] };
      expect((await register(browser.username, browser.password, tab)).reply.status).toBe(200);
      expect(credentials.size).toBe(2);

      await setStaticSipCredential(db, { accountId, username: 'deskphone', realm: REALM, password: 'battery staple' });
      await poll();
      const old = await register('deskphone', 'correct horse', { sourceAddress: '198.51.100.40' });
      expect([old.reply.status, old.reply.headers['X-Reason']]).toEqual([403, 'bad-credentials']);
      expect((await register('deskphone', 'battery staple')).reply.status).toBe(200);

      await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', accountId).execute();
      await poll();
      expect((await register('deskphone', 'battery staple')).reply.headers['X-Reason']).toBe('bad-credentials');
      await db.updateTable('accounts').set({ status: 'active' }).where('id', '=', accountId).execute();
      await poll();

      // Cached while valid, refused once the expiry in its username has passed.
      expect((await register(browser.username, browser.password, tab)).reply.status).toBe(200);
      clock = new Date(clock.getTime() + 121_000);
      await poll();
      expect((await register(browser.username, browser.password, tab)).reply.headers['X-Reason']).toBe('credentials-expired');
    } finally {
      deps = saved;
      await setStaticSipCredential(db, { accountId, username: 'deskphone', realm: REALM, password: 'correct horse' });
    }
  });

  it('refuses registering an address-of-record other than the authenticated user', async () => {
    const first = request({ toUser: 'someone-else' });
    const challenge = await handleRegister(deps, first);
    const authorization = answerChallenge({
      challenge: challenge.headers['WWW-Authenticate'] ?? '',
      method: 'REGISTER',
      uri: first.uri,
      username: 'deskphone',
      password: 'correct horse',
    });
    const reply = await handleRegister(deps, { ...first, cseq: 2, authorization });
    expect([reply.status, reply.headers['X-Reason']]).toEqual([403, 'aor-mismatch']);
  });

  it('keeps two contacts, removes one with expires=0, and all with Contact: *', async () => {
    const { db } = database();
    await db.deleteFrom('registrations').execute();
    await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:a@192.0.2.1', expires: 600 }] });
    const two = await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:b@192.0.2.2', expires: 900 }] });
    expect(two.reply.headers.Contact).toBe('<sip:b@192.0.2.2>;expires=900, <sip:a@192.0.2.1>;expires=600');
    const one = await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:a@192.0.2.1', expires: 0 }] });
    expect(one.reply.headers.Contact).toBe('<sip:b@192.0.2.2>;expires=900');
    const none = await register('deskphone', 'correct horse', { contacts: '*', expires: 0 });
    expect(none.reply.status).toBe(200);
    expect(none.reply.headers.Contact).toBeUndefined();
    expect(await liveBindings(db, accountId, 'deskphone', clock)).toEqual([]);
  });

  it("replaces a device's old contact when it registers a new one with the same +sip.instance (RFC 5626), and only that", async () => {
    const { db } = database();
    await db.deleteFrom('registrations').execute();
    const tab = 'urn:uuid:7d2f1c0e-4b1a-4d8e-9b44-0c2f8e1a6b55';
    const otherTab = 'urn:uuid:0b5e6c77-2a43-4f4e-8d1b-3c9d6a7e2f10';
    // A first tab's connection, a second tab, and a desk phone sending no instance.
    await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:first@a.invalid;transport=ws', expires: 600, instance: tab }] });
    await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:second@b.invalid;transport=ws', expires: 600, instance: otherTab }] });
    await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:deskphone@192.0.2.10:5060', expires: 600 }] });
    // The first tab reconnects: new WebSocket, new contact, same instance. Its dead binding goes; the others stay.
    const again = await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:first-again@c.invalid;transport=ws', expires: 600, instance: tab }] });
    expect(again.reply.status).toBe(200);
    const contacts = (await liveBindings(db, accountId, 'deskphone', clock)).map((binding) => binding.contact).sort();
    expect(contacts).toEqual(['sip:deskphone@192.0.2.10:5060', 'sip:first-again@c.invalid;transport=ws', 'sip:second@b.invalid;transport=ws']);
    const stored = await db
      .selectFrom('registrations')
      .select(['contact', 'instance_id'])
      .where('contact', '=', 'sip:first-again@c.invalid;transport=ws')
      .executeTakeFirstOrThrow();
    expect(stored.instance_id).toBe(tab);
  });

  it("keeps each SIP username's bindings its own: another phone of the account neither sees nor removes them", async () => {
    const { db } = database();
    await db.deleteFrom('registrations').execute();
    await setStaticSipCredential(db, { accountId, username: 'kitchen', realm: REALM, password: 'battery staple' });
    await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:desk@192.0.2.1', expires: 600 }] });
    const kitchen = await register('kitchen', 'battery staple', { toUser: 'kitchen', contacts: [{ uri: 'sip:kitchen@192.0.2.2', expires: 600 }] });
    expect(kitchen.reply.headers.Contact).toBe('<sip:kitchen@192.0.2.2>;expires=600');
    const gone = await register('kitchen', 'battery staple', { toUser: 'kitchen', contacts: '*', expires: 0 });
    expect(gone.reply.status).toBe(200);
    expect((await liveBindings(db, accountId, 'deskphone', clock)).map((binding) => binding.contact)).toEqual(['sip:desk@192.0.2.1']);
    expect(await liveBindings(db, accountId, 'kitchen', clock)).toEqual([]);
  });

  it('refuses a binding past SIP_REGISTER_MAX_BINDINGS with 403, changing nothing, while the bindings it has still refresh', async () => {
    const { db } = database();
    await db.deleteFrom('registrations').execute();
    for (let i = 1; i <= 4; i++) {
      expect((await register('deskphone', 'correct horse', { contacts: [{ uri: `sip:phone${i}@192.0.2.${i}`, expires: 600 }] })).reply.status).toBe(200);
    }
    const fifth = await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:phone5@192.0.2.5', expires: 600 }] });
    expect([fifth.reply.status, fifth.reply.headers['X-Reason']]).toEqual([403, 'too-many-bindings']);
    expect(await liveBindings(db, accountId, 'deskphone', clock)).toHaveLength(4);
    const refresh = await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:phone1@192.0.2.1', expires: 900 }] });
    expect(refresh.reply.status).toBe(200);
    // One REGISTER carrying too many contacts at once is refused whole.
    await db.deleteFrom('registrations').execute();
    const many = await register('deskphone', 'correct horse', {
      contacts: Array.from({ length: 5 }, (_, i) => ({ uri: `sip:many${i}@192.0.2.${i + 1}`, expires: 600 })),
    });
    expect(many.reply.status).toBe(403);
    expect(await liveBindings(db, accountId, 'deskphone', clock)).toEqual([]);
  });

  it('refuses a Contact longer than SIP_REGISTER_MAX_CONTACT_LENGTH with 400', async () => {
    const long = `sip:${'x'.repeat(300)}@192.0.2.1`;
    const reply = await register('deskphone', 'correct horse', { contacts: [{ uri: long, expires: 600 }] });
    expect([reply.reply.status, reply.reply.headers['X-Reason']]).toEqual([400, 'contact-too-long']);
    expect((await liveBindings(database().db, accountId, 'deskphone', clock)).map((binding) => binding.contact)).not.toContain(long);
  });

  it('over UDP, refuses a binding whose 200 would not fit one datagram; over TCP the same bindings are kept', async () => {
    const { db } = database();
    const contact = (i: number) => ({ uri: `sip:${String(i).repeat(240)}@192.0.2.${i}`, expires: 600 });
    for (const transport of ['udp', 'tcp'] as const) {
      await db.deleteFrom('registrations').execute();
      const statuses: number[] = [];
      for (let i = 1; i <= 4; i++) statuses.push((await register('deskphone', 'correct horse', { transport, contacts: [contact(i)] })).reply.status);
      // Four contacts of ~250 bytes make a Contact list past 1,000 bytes.
      expect(statuses, transport).toEqual(transport === 'udp' ? [200, 200, 200, 403] : [200, 200, 200, 200]);
      const reply = await register('deskphone', 'correct horse', { transport, contacts: [] });
      expect(Buffer.byteLength(reply.reply.headers.Contact ?? ''), transport).toBeLessThanOrEqual(transport === 'udp' ? 1000 : 4000);
    }
    await db.deleteFrom('registrations').execute();
  });

  it('answers 423 with Min-Expires to a too-short interval, and caps a long one', async () => {
    const short = await register('deskphone', 'correct horse', { expires: 10 });
    expect([short.reply.status, short.reply.headers['Min-Expires']]).toEqual([423, '60']);
    const long = await register('deskphone', 'correct horse', { expires: 999_999, contacts: [{ uri: 'sip:long@192.0.2.3', expires: undefined }] });
    expect(long.reply.headers.Contact).toContain('<sip:long@192.0.2.3>;expires=3600');
  });

  it('answers 400 to a malformed Authorization header', async () => {
    const reply = await handleRegister(deps, request({ authorization: 'Digest username="u", nonce=' }));
    expect([reply.status, reply.headers['X-Reason']]).toEqual([400, 'malformed-authorization']);
  });

  it('challenges credentials in a scheme it does not offer, as if there were none (RFC 4475 §3.3.7)', async () => {
    for (const authorization of ['NoOneKnowsThisScheme opaque-data=here', 'Basic dXNlcjpwYXNz', 'Digestive username="u"']) {
      const reply = await handleRegister(deps, request({ authorization }));
      expect([reply.status, reply.headers['X-Reason']], authorization).toEqual([401, 'unknown-auth-scheme']);
      expect(reply.headers['WWW-Authenticate'], authorization).toMatch(/^Digest /);
    }
  });

  it('blocks a username at an address after repeated failures, even with the right password, until the block expires', async () => {
    const { db } = database();
    await setStaticSipCredential(db, { accountId, username: 'frontdesk', realm: REALM, password: 'battery staple' });
    const source = '203.0.113.7';
    for (let i = 0; i < 3; i++) await register('deskphone', `guess-${i}`, { sourceAddress: source });
    const blocked = (await register('deskphone', 'correct horse', { sourceAddress: source })).reply;
    expect([blocked.status, blocked.headers['X-Reason']]).toEqual([403, 'source-blocked']);
    // Another phone behind the same address is not shut out.
    expect(
      (await register('frontdesk', 'battery staple', { sourceAddress: source, contacts: [{ uri: 'sip:frontdesk@203.0.113.7', expires: undefined }] })).reply
        .status,
    ).toBe(200);
    clock = new Date(clock.getTime() + 121_000);
    expect((await register('deskphone', 'correct horse', { sourceAddress: source })).reply.status).toBe(200);
  });

  it('blocks a whole address once failures across usernames reach its limit: even a challenge is refused', async () => {
    const source = '203.0.113.8';
    for (let i = 0; i < 6; i++) await register(`guess-user-${i}`, 'whatever', { sourceAddress: source });
    const blocked = await handleRegister(deps, request({ sourceAddress: source }));
    expect([blocked.status, blocked.headers['X-Reason']]).toEqual([403, 'source-blocked']);
    clock = new Date(clock.getTime() + 121_000);
    expect((await register('deskphone', 'correct horse', { sourceAddress: source })).reply.status).toBe(200);
  });

  it('sweeps expired bindings', async () => {
    const { db } = database();
    await register('deskphone', 'correct horse', { contacts: [{ uri: 'sip:short@192.0.2.9', expires: 60 }] });
    clock = new Date(clock.getTime() + 3_601_000);
    expect(await liveBindings(db, accountId, 'deskphone', clock)).toEqual([]);
    expect(await sweepExpiredRegistrations(db, clock)).toBeGreaterThan(0);
    expect(await db.selectFrom('registrations').selectAll().where('expires_at', '<=', clock).execute()).toEqual([]);
  });
});
