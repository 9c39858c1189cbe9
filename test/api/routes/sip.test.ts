import { createHmac } from 'node:crypto';
import { BindingRefreshes } from '../../../core/binding-refreshes.ts';
import { VersionedCache } from '../../../core/versioned-cache.ts';
import type { SipCredential } from '../../../core/accounts/sip-credentials.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AddressBlocks } from '../../../core/abuse/address-blocks.ts';
import { loadConfig } from '../../../config.ts';
import { createLogger } from '../../../logger.ts';
import { NonceIssuer } from '../../../signaling/auth/nonces.ts';
import { handleRegister } from '../../../signaling/registrar/register.ts';
import { signIn, testApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { answerChallenge } from '../../harness/digest-client.ts';

const sip = loadConfig({ SIP_SECRET: 'k'.repeat(40), SIP_REALM: 'dialo.test', SIP_WS_URL: 'wss://sip.example.org:8443' }).sip;

describeEachDialect('POST /sip/credentials', (database) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApi(database(), { sip });
  });
  afterAll(async () => app?.close());

  it('refuses a caller without a session', async () => {
    const response = await app.inject({ method: 'POST', url: '/sip/credentials' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });

  it('issues credentials the registrar accepts for that account, never cached', async () => {
    const user = await signIn(app, database().db);
    const response = await app.inject({ method: 'POST', url: '/sip/credentials', headers: user.headers });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<{ username: string; password: string; realm: string; expiresAt: string; webSocketUrl: string }>();
    expect(body.username.startsWith(`${user.accountId}.`)).toBe(true);
    expect(body).toMatchObject({ realm: 'dialo.test', webSocketUrl: 'wss://sip.example.org:8443', echoTestNumber: null });
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const auth = {
      db: database().db,
      nonces: new NonceIssuer(sip!.secret, 60_000),
      credentials: new VersionedCache<string, SipCredential>({ topic: 'sip-credentials', pollMs: 1000, maxEntries: 100 }),
      bruteForce: new AddressBlocks(sip!.bruteForce),
      realm: sip!.realm,
      credentialSecret: sip!.secret,
      challengeAlgorithm: 'MD5' as const,
      logger: createLogger('silent'),
      now: () => new Date(),
    };
    const request = {
      uri: 'sip:dialo.test',
      callId: 'c1',
      cseq: 1,
      authorization: undefined,
      toUser: body.username,
      contacts: [{ uri: 'sip:tab@x.invalid;transport=ws', expires: 600 }],
      expires: undefined,
      transport: 'wss' as const,
      sourceAddress: '192.0.2.1',
      sourcePort: 5000,
      drachtioServer: 'wss/127.0.0.1:8443',
      userAgent: 'SIP.js',
    };
    const deps = {
      auth,
      refreshes: new BindingRefreshes(database().db, { concurrency: 2, maxBatch: 50 }),
      options: { minExpires: 60, maxExpires: 3600, defaultExpires: 600, maxBindings: 10, maxContactLength: 512 },
    };
    const challenge = await handleRegister(deps, request);
    const authorization = answerChallenge({
      challenge: challenge.headers['WWW-Authenticate'] ?? '',
      method: 'REGISTER',
      uri: request.uri,
      username: body.username,
      password: body.password,
    });
    const registered = await handleRegister(deps, { ...request, cseq: 2, authorization });
    expect(registered.status).toBe(200);
    const row = await database().db.selectFrom('registrations').select('account_id').where('username', '=', body.username).executeTakeFirstOrThrow();
    expect(row.account_id).toBe(user.accountId);
  });

  it("hands out the operator's STUN servers, and TURN with credentials that expire with the SIP ones (TURN REST scheme)", async () => {
    const withIce = loadConfig({
      SIP_SECRET: 'k'.repeat(40),
      WEBRTC_ICE_URLS: 'stun:stun.example.org:3478, turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
      WEBRTC_TURN_SECRET: 'coturn-static-auth-secret',
    }).sip;
    const iceApp = await testApi(database(), { sip: withIce });
    try {
      const user = await signIn(iceApp, database().db);
      const body = (await iceApp.inject({ method: 'POST', url: '/sip/credentials', headers: user.headers })).json<{
        expiresAt: string;
        iceServers: { urls: string[]; username?: string; credential?: string }[];
      }>();
      const expiry = Math.floor(new Date(body.expiresAt).getTime() / 1000);
      const username = `${expiry}:${user.accountId}`;
      // What coturn computes to check it: base64(HMAC-SHA1(static-auth-secret, username)).
      const credential = createHmac('sha1', 'coturn-static-auth-secret').update(username).digest('base64');
      expect(body.iceServers).toEqual([
        { urls: ['stun:stun.example.org:3478'] },
        { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'], username, credential },
      ]);
    } finally {
      await iceApp.close();
    }
    // None configured: none handed out.
    const user = await signIn(app, database().db);
    expect((await app.inject({ method: 'POST', url: '/sip/credentials', headers: user.headers })).json()).toMatchObject({ iceServers: [] });
  });

  it('tells the softphone the echo test number when it is on', async () => {
    const echoApp = await testApi(database(), { sip, echoTestNumber: '*43' });
    try {
      const user = await signIn(echoApp, database().db);
      expect((await echoApp.inject({ method: 'POST', url: '/sip/credentials', headers: user.headers })).json()).toMatchObject({ echoTestNumber: '*43' });
    } finally {
      await echoApp.close();
    }
  });

  it('answers 503 when SIP is not configured', async () => {
    const bare = await testApi(database(), { sip: undefined });
    const user = await signIn(bare, database().db);
    const response = await bare.inject({ method: 'POST', url: '/sip/credentials', headers: user.headers });
    expect(response.statusCode).toBe(503);
    await bare.close();
  });
});
