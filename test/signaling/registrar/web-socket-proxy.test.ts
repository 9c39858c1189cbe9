// Browsers behind a WebSocket proxy (compose's Caddy, SIP_WS_PROXIES): drachtio-server sees them all at the proxy's
// address, so failed authentications through it block the username guessed at, never the address, and the other
// browsers keep registering. Without SIP_WS_PROXIES the same failures block the address, and so everyone behind it.
// Real drachtio-server; the WebSocket client from 127.0.0.1 stands in for the proxy.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setStaticSipCredential } from '../../../core/accounts/sip-credentials.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { answerChallenge } from '../../harness/digest-client.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { WsSipClient } from '../../harness/ws-sip-client.ts';

/** Two failures block a username at an address; three across usernames, the address. */
const LIMITS = { SIP_AUTH_MAX_FAILURES: '2', SIP_AUTH_MAX_FAILURES_PER_ADDRESS: '3', SIP_AUTH_BLOCK_SECONDS: '300' };

describe.skipIf(drachtioProvision.via === 'missing').each([
  { proxies: '127.0.0.1/32', othersRegister: true },
  { proxies: '', othersRegister: false },
])('failed authentications over WebSocket with SIP_WS_PROXIES=$proxies', ({ proxies, othersRegister }) => {
  let database: TestDatabase;
  let stack: SignalingStack;
  let client: WsSipClient;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(database, { ...LIMITS, SIP_WS_PROXIES: proxies });
    const realm = stack.config.sip!.realm;
    const account = await database.db.insertInto('accounts').values({ email: null, status: 'active' }).returning('id').executeTakeFirstOrThrow();
    for (const username of ['alice', 'bob'])
      await setStaticSipCredential(database.db, { accountId: account.id, username, realm, password: `${username}-secret` });
    client = await WsSipClient.connect(`ws://127.0.0.1:${stack.drachtio.wsPort}`);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
    await database?.close();
  });

  /** A REGISTER over the WebSocket answering the challenge with `password`: the final status and X-Reason. */
  async function register(username: string, password: string): Promise<string> {
    const realm = stack.config.sip!.realm;
    const uri = `sip:${realm}`;
    const callId = randomUUID();
    const headers = {
      From: `<sip:${username}@${realm}>;tag=${randomUUID().slice(0, 8)}`,
      To: `<sip:${username}@${realm}>`,
      Contact: `<sip:${randomUUID().slice(0, 8)}@${client.host};transport=ws>`,
    };
    const first = await client.request({ method: 'REGISTER', uri, callId, cseq: 1, headers });
    if (first.status !== 401) return `${first.status} ${first.header('X-Reason') ?? ''}`.trim();
    const authorization = answerChallenge({ challenge: first.header('WWW-Authenticate') ?? '', method: 'REGISTER', uri, username, password });
    const second = await client.request({ method: 'REGISTER', uri, callId, cseq: 2, headers: { ...headers, Authorization: authorization } });
    return `${second.status} ${second.header('X-Reason') ?? ''}`.trim();
  }

  it(`blocks the guessed username; the address's other users ${othersRegister ? 'still register' : 'are blocked with it'}`, async () => {
    expect(await register('alice', 'alice-secret')).toBe('200');
    // Bob's password guessed twice (his username blocked), then one more guess at someone: three at this address.
    expect(await register('bob', 'guess-1')).toBe('403 bad-credentials');
    expect(await register('bob', 'guess-2')).toBe('403 bad-credentials');
    expect(await register('mallory', 'guess-3')).toBe('403 bad-credentials');
    expect(await register('bob', 'bob-secret')).toBe('403 source-blocked');
    expect(await register('alice', 'alice-secret')).toBe(othersRegister ? '200' : '403 source-blocked');
  });
});
