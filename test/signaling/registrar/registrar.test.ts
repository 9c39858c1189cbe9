// The registrar over the wire: real drachtio-server, the signaling role, sipp over UDP/TCP and a WebSocket client.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueBrowserCredentials, setStaticSipCredential } from '../../../core/accounts/sip-credentials.ts';
import type { SipConfig } from '../../../config.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { answerChallenge } from '../../harness/digest-client.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';
import { WsSipClient } from '../../harness/ws-sip-client.ts';

// The nonce lifetime is short enough that the stale-nonce scenario's pause outlives it; every other exchange
// takes milliseconds.
const ENV = { SIP_NONCE_TTL_SECONDS: '2', SIP_AUTH_MAX_FAILURES: '3', SIP_AUTH_BLOCK_SECONDS: '3' };

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('registrar over real drachtio-server', () => {
  let database: TestDatabase;
  let stack: SignalingStack;
  let SIP: SipConfig;
  let accountId: string;
  let target: string;

  const auth = (username: string, password: string) => `${username};[authentication username=${username} password=${password}];d1`;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(database, ENV);
    SIP = stack.config.sip!;
    const account = await database.db.insertInto('accounts').values({ email: 'sip@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    accountId = account.id;
    await setStaticSipCredential(database.db, { accountId, username: 'alice', realm: SIP.realm, password: 'alice-secret' });
    await setStaticSipCredential(database.db, { accountId, username: 'bob', realm: SIP.realm, password: 'bob-secret' });
    target = stack.target;
  });

  afterAll(async () => {
    await stack?.stop();
    await database?.close();
  });

  async function bindings(): Promise<{ contact: string; transport: string }[]> {
    return database.db.selectFrom('registrations').select(['contact', 'transport']).where('account_id', '=', accountId).orderBy('contact').execute();
  }

  it.each(['u1', 't1'] as const)('uac-register-expect-200 over %s with a static credential', async (transport) => {
    const run = await runSipp({
      scenario: 'uac-register-expect-200.xml',
      target,
      transport,
      fields: [`alice;[authentication username=alice password=alice-secret];${transport}`],
    });
    expect(run.code, run.log).toBe(0);
    expect(await bindings()).toContainEqual({ contact: expect.stringContaining(`dev=${transport}`), transport: transport === 'u1' ? 'udp' : 'tcp' });
  });

  it('uac-register-expect-200 with short-lived browser credentials', async () => {
    const creds = issueBrowserCredentials(SIP.secret, accountId, new Date(), 600);
    const run = await runSipp({
      scenario: 'uac-register-expect-200.xml',
      target,
      fields: [`${creds.username};[authentication username=${creds.username} password=${creds.password}];browser`],
    });
    expect(run.code, run.log).toBe(0);
  });

  it.each([
    ['a wrong password', () => auth('alice', 'not-her-password')],
    ['an unknown user', () => auth('mallory', 'whatever')],
    [
      'expired browser credentials',
      () => {
        const old = issueBrowserCredentials(SIP.secret, accountId, new Date(Date.now() - 3_600_000), 600);
        return auth(old.username, old.password);
      },
    ],
    [
      'a tampered browser username',
      () => {
        const creds = issueBrowserCredentials(SIP.secret, accountId, new Date(), 600);
        const longer = creds.username.replace(/\.(\d+)$/, (_, expiry: string) => `.${Number(expiry) + 86_400}`);
        return auth(longer, creds.password);
      },
    ],
  ])('uac-register-expect-403 for %s', async (_case, fields) => {
    // From its own loopback address, so these failures do not block the other tests' source.
    const run = await runSipp({ scenario: 'uac-register-expect-403.xml', target, fields: [fields()], localAddress: '127.0.0.3' });
    expect(run.code, run.log).toBe(0);
  });

  it("a password changed in the database is, within the node's cache poll (CACHE_POLL_MS), the only one it accepts", async () => {
    const from = { localAddress: '127.0.0.5' };
    await setStaticSipCredential(database.db, { accountId, username: 'carol', realm: SIP.realm, password: 'carol-1' });
    expect((await runSipp({ scenario: 'uac-register-expect-200.xml', target, fields: [auth('carol', 'carol-1')], ...from })).code).toBe(0);
    await setStaticSipCredential(database.db, { accountId, username: 'carol', realm: SIP.realm, password: 'carol-2' });
    // No refresh from the test: the node finds out by itself (the old password may work until then).
    await vi.waitFor(
      async () => expect((await runSipp({ scenario: 'uac-register-expect-403.xml', target, fields: [auth('carol', 'carol-1')], ...from })).code).toBe(0),
      { timeout: 10_000, interval: 200 },
    );
    const renewed = await runSipp({ scenario: 'uac-register-expect-200.xml', target, fields: [auth('carol', 'carol-2')], ...from });
    expect(renewed.code, renewed.log).toBe(0);
  });

  it('uac-unregister-expect-200: Expires 0 removes the binding', async () => {
    const run = await runSipp({
      scenario: 'uac-unregister-expect-200.xml',
      target,
      fields: ['alice;[authentication username=alice password=alice-secret];gone'],
    });
    expect(run.code, run.log).toBe(0);
    expect((await bindings()).some((row) => row.contact.includes('dev=gone'))).toBe(false);
  });

  it('uac-register-stale-nonce-expect-401: an expired nonce is re-challenged with stale=true', async () => {
    const run = await runSipp({
      scenario: 'uac-register-stale-nonce-expect-401.xml',
      target,
      fields: ['alice;[authentication username=alice password=alice-secret];stale'],
    });
    expect(run.code, run.log).toBe(0);
  });

  it('uac-register-malformed-auth-expect-400, and the registrar still answers afterwards', async () => {
    const run = await runSipp({ scenario: 'uac-register-malformed-auth-expect-400.xml', target, fields: ['alice'], localAddress: '127.0.0.4' });
    expect(run.code, run.log).toBe(0);
    expect((await runSipp({ scenario: 'uac-options-expect-200.xml', target })).code).toBe(0);
  });

  it('uac-options-expect-200 over udp and tcp', async () => {
    expect((await runSipp({ scenario: 'uac-options-expect-200.xml', target, transport: 'u1' })).code).toBe(0);
    expect((await runSipp({ scenario: 'uac-options-expect-200.xml', target, transport: 't1' })).code).toBe(0);
  });

  it('uac-register-source-blocked-expect-403 for the guessed username after repeated failures, until the block expires; other phones at that address still register', async () => {
    const source = '127.0.0.2';
    for (let i = 0; i < SIP.bruteForce.maxStrikes; i++) {
      const failed = await runSipp({ scenario: 'uac-register-expect-403.xml', target, fields: [auth('alice', `guess-${i}`)], localAddress: source });
      expect(failed.code, failed.log).toBe(0);
    }
    const blocked = await runSipp({
      scenario: 'uac-register-source-blocked-expect-403.xml',
      target,
      fields: [auth('alice', 'alice-secret')],
      localAddress: source,
    });
    expect(blocked.code, blocked.log).toBe(0);
    expect(await stack.metrics.registry.getSingleMetricAsString('dialo_sip_register_total')).toMatch(/status="403",reason="source-blocked"} 1/);
    // Other sources are unaffected, and so is another phone behind the same address.
    expect((await runSipp({ scenario: 'uac-register-expect-200.xml', target, fields: [auth('alice', 'alice-secret')] })).code).toBe(0);
    const neighbour = await runSipp({ scenario: 'uac-register-expect-200.xml', target, fields: [auth('bob', 'bob-secret')], localAddress: source });
    expect(neighbour.code, neighbour.log).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, SIP.bruteForce.blockMs + 500));
    const after = await runSipp({ scenario: 'uac-register-expect-200.xml', target, fields: [auth('alice', 'alice-secret')], localAddress: source });
    expect(after.code, after.log).toBe(0);
  });

  describe('over WebSocket', () => {
    let client: WsSipClient;
    beforeAll(async () => {
      client = await WsSipClient.connect(`ws://127.0.0.1:${stack.drachtio.wsPort}`);
    });
    afterAll(() => client?.close());

    async function register(options: { username: string; password: string; contactUser: string; callId?: string; expires?: number }) {
      const callId = options.callId ?? randomUUID();
      const uri = `sip:${SIP.realm}`;
      const headers = {
        From: `<sip:${options.username}@${SIP.realm}>;tag=${randomUUID().slice(0, 8)}`,
        To: `<sip:${options.username}@${SIP.realm}>`,
        Contact: `<sip:${options.contactUser}@${client.host};transport=ws>;expires=${options.expires ?? 600}`,
      };
      const challenge = await client.request({ method: 'REGISTER', uri, callId, cseq: 1, headers });
      expect(challenge.status).toBe(401);
      const authorization = answerChallenge({
        challenge: challenge.header('WWW-Authenticate') ?? '',
        method: 'REGISTER',
        uri,
        username: options.username,
        password: options.password,
      });
      const response = await client.request({ method: 'REGISTER', uri, callId, cseq: 2, headers: { ...headers, Authorization: authorization } });
      return { response, replay: () => client.request({ method: 'REGISTER', uri, callId, cseq: 3, headers: { ...headers, Authorization: authorization } }) };
    }

    it('registers browser credentials: 401 then 200 with the Contact, stored as ws', async () => {
      const creds = issueBrowserCredentials(SIP.secret, accountId, new Date(), 600);
      const { response } = await register({ ...creds, contactUser: 'tab1' });
      expect(response.status).toBe(200);
      expect(response.header('Contact')).toMatch(/<sip:tab1@[0-9a-f]+\.invalid;transport=ws>;expires=\d+/);
      expect(await bindings()).toContainEqual({ contact: `sip:tab1@${client.host};transport=ws`, transport: 'ws' });
      const row = await database.db.selectFrom('registrations').selectAll().where('contact', 'like', 'sip:tab1@%').executeTakeFirstOrThrow();
      // Enough to reach the tab again: which drachtio-server holds its socket, and the socket's far end.
      expect(row.drachtio_server).toContain(`ws/127.0.0.1:${stack.drachtio.wsPort}`);
      expect(row.source_address).toBe('127.0.0.1');
      expect(row.source_port).toBeGreaterThan(0);
    });

    it('refuses a replayed Authorization with a stale re-challenge', async () => {
      const creds = issueBrowserCredentials(SIP.secret, accountId, new Date(), 600);
      const { response, replay } = await register({ ...creds, contactUser: 'tab2' });
      expect(response.status).toBe(200);
      const replayed = await replay();
      expect(replayed.status).toBe(401);
      expect(replayed.header('WWW-Authenticate')).toMatch(/stale=true/);
      expect(replayed.header('X-Reason')).toBe('nonce-replayed');
    });

    it('refuses Contact: * beside another contact with 400 (RFC 3261 §10.3), keeping the bindings', async () => {
      const creds = issueBrowserCredentials(SIP.secret, accountId, new Date(), 600);
      await register({ ...creds, contactUser: 'tab-star' });
      const before = await bindings();
      const response = await client.request({
        method: 'REGISTER',
        uri: `sip:${SIP.realm}`,
        callId: randomUUID(),
        cseq: 1,
        headers: {
          From: `<sip:${creds.username}@${SIP.realm}>;tag=${randomUUID().slice(0, 8)}`,
          To: `<sip:${creds.username}@${SIP.realm}>`,
          Contact: `*, <sip:tab-other@${client.host};transport=ws>`,
          Expires: '0',
        },
      });
      expect([response.status, response.header('X-Reason')]).toEqual([400, 'malformed-register']);
      expect(await bindings()).toEqual(before);
    });

    it('keeps two contacts (two tabs) for one user, both listed in the 200', async () => {
      const creds = issueBrowserCredentials(SIP.secret, accountId, new Date(), 600);
      await register({ ...creds, contactUser: 'tab-a' });
      const { response } = await register({ ...creds, contactUser: 'tab-b' });
      expect(response.header('Contact')).toContain('sip:tab-a@');
      expect(response.header('Contact')).toContain('sip:tab-b@');
    });
  });
});
