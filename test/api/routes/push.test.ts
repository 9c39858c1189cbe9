/**
 * The push routes (api/routes/push.ts): the public key, and each user's own subscriptions, stored sealed, validated
 * as a browser makes them, listed and removed by their owner only.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { MAX_SUBSCRIPTIONS } from '../../../core/push/subscriptions.ts';
import { signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { findEverywhere } from '../../harness/privacy.ts';
import { browserSubscription } from '../../harness/push-service.ts';

const PUBLIC_KEY = browserSubscription('https://unused.example').p256dh;

/** A body as the softphone sends it: the browser's `PushSubscription.toJSON()` keys, and a label. */
function body(endpoint = `https://push.example.org/wpush/${randomUUID()}`, label?: string) {
  const { p256dh, auth } = browserSubscription(endpoint);
  return { endpoint, keys: { p256dh, auth }, ...(label === undefined ? {} : { label }) };
}

describeEachDialect('push routes', (database) => {
  // PUSH_SERVICE_HOSTS as an operator might set it; `byDefault` keeps the default list, the known browsers' services.
  const api = useTestApi(database, { push: { publicKey: PUBLIC_KEY, serviceHosts: ['push.example.org', '*.push.apple.com'] } });
  const byDefault = useTestApi(database, { push: { publicKey: PUBLIC_KEY } });
  const off = useTestApi(database);
  const db = () => database().db;

  it('gives the VAPID public key to anyone; without keys, push routes answer 503', async () => {
    const config = await api().inject({ method: 'GET', url: '/push/config' });
    expect([config.statusCode, config.json()]).toEqual([200, { publicKey: PUBLIC_KEY }]);
    expect((await off().inject({ method: 'GET', url: '/push/config' })).json()).toMatchObject({ status: 503, title: 'Push Not Configured' });
    const user = await signIn(off(), db());
    const refused = await off().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: body() });
    expect(refused.statusCode).toBe(503);
  });

  it('stores a subscription sealed, lists it to its owner only, and refreshes it when the browser subscribes again', async () => {
    const user = await signIn(api(), db());
    const other = await signIn(api(), db());
    const sent = body(undefined, 'Firefox on my laptop');
    const created = await api().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: sent });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: expect.any(String),
      label: 'Firefox on my laptop',
      pushService: 'https://push.example.org',
      createdAt: expect.any(String),
      lastSuccessAt: null,
    });
    // Sealed under the account's key: no column holds the endpoint, the keys or the label in the clear.
    for (const secret of [sent.endpoint, sent.keys.p256dh, sent.keys.auth, 'Firefox on my laptop'])
      expect(await findEverywhere(db(), secret), secret).toEqual([]);

    const again = await api().inject({
      method: 'POST',
      url: '/push/subscriptions',
      headers: user.headers,
      payload: { ...body(sent.endpoint), label: 'renamed' },
    });
    expect(again.json()).toMatchObject({ id: created.json().id, label: 'renamed' });
    const listed = await api().inject({ method: 'GET', url: '/push/subscriptions', headers: user.headers });
    expect(listed.json().subscriptions).toEqual([again.json()]);
    expect((await api().inject({ method: 'GET', url: '/push/subscriptions', headers: other.headers })).json()).toEqual({ subscriptions: [] });
  });

  it('removes a subscription for its owner only', async () => {
    const user = await signIn(api(), db());
    const other = await signIn(api(), db());
    const { id } = (await api().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: body() })).json<{ id: string }>();
    const theirs = await api().inject({ method: 'DELETE', url: `/push/subscriptions/${id}`, headers: other.headers });
    expect([theirs.statusCode, theirs.headers['content-type']]).toEqual([404, expect.stringMatching(/^application\/problem\+json/)]);
    expect((await api().inject({ method: 'GET', url: '/push/subscriptions', headers: user.headers })).json().subscriptions).toHaveLength(1);
    expect((await api().inject({ method: 'DELETE', url: `/push/subscriptions/${id}`, headers: user.headers })).statusCode).toBe(204);
    expect((await api().inject({ method: 'GET', url: '/push/subscriptions', headers: user.headers })).json().subscriptions).toEqual([]);
    expect((await api().inject({ method: 'DELETE', url: '/push/subscriptions/not-an-id', headers: user.headers })).statusCode).toBe(400);
  });

  it('refuses what no browser would send, naming the field, and stores nothing', async () => {
    const user = await signIn(api(), db());
    const good = body();
    const point = Buffer.from(good.keys.p256dh, 'base64url');
    const cases: [string, unknown, string][] = [
      ['http endpoint', { ...good, endpoint: 'http://push.example.org/x' }, '/endpoint'],
      ['loopback endpoint', { ...good, endpoint: 'https://127.0.0.1:8443/x' }, '/endpoint'],
      ['localhost endpoint', { ...good, endpoint: 'https://localhost/x' }, '/endpoint'],
      ['a host not on PUSH_SERVICE_HOSTS', { ...good, endpoint: 'https://internal.example.org/x' }, '/endpoint'],
      ['the bare domain of a *. entry', { ...good, endpoint: 'https://push.apple.com/x' }, '/endpoint'],
      ['credentials in the endpoint', { ...good, endpoint: 'https://user:pw@push.example.org/x' }, '/endpoint'],
      ['not a URL', { ...good, endpoint: 'push service' }, '/endpoint'],
      ['short p256dh', { ...good, keys: { ...good.keys, p256dh: point.subarray(0, 64).toString('base64url') } }, '/keys/p256dh'],
      [
        'compressed point',
        { ...good, keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([2]), point.subarray(1, 33)]).toString('base64url') } },
        '/keys/p256dh',
      ],
      [
        'point off the curve',
        { ...good, keys: { ...good.keys, p256dh: Buffer.concat([point.subarray(0, 64), Buffer.from([point[64]! ^ 1])]).toString('base64url') } },
        '/keys/p256dh',
      ],
      ['padded base64', { ...good, keys: { ...good.keys, auth: Buffer.alloc(16, 7).toString('base64') } }, '/keys/auth'],
      ['15-byte auth', { ...good, keys: { ...good.keys, auth: Buffer.alloc(15, 7).toString('base64url') } }, '/keys/auth'],
      ['blank label', { ...good, label: '   ' }, '/label'],
    ];
    for (const [label, payload, path] of cases) {
      const response = await api().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: payload as Record<string, unknown> });
      expect(response.statusCode, label).toBe(400);
      expect(response.headers['content-type'], label).toMatch(/^application\/problem\+json/);
      expect(response.json().errors, label).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining(path.split('/').at(-1)!) })]),
      );
    }
    expect(await db().selectFrom('push_subscriptions').select('id').where('account_id', '=', user.accountId).execute()).toEqual([]);
  });

  it("takes endpoints on the known browsers' push services by default, and refuses any other host with a problem naming the field and the list", async () => {
    const user = await signIn(byDefault(), db());
    for (const endpoint of [
      `https://fcm.googleapis.com/fcm/send/${randomUUID()}`,
      `https://updates.push.services.mozilla.com/wpush/v2/${randomUUID()}`,
      `https://web.push.apple.com/${randomUUID()}`,
      `https://wns2-by3p.notify.windows.com/w/?token=${randomUUID()}`,
    ]) {
      const created = await byDefault().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: body(endpoint) });
      expect(created.statusCode, endpoint).toBe(201);
    }
    // A host inside the operator's network, reachable only from the server: the SSRF the list is there to stop.
    const refused = await byDefault().inject({
      method: 'POST',
      url: '/push/subscriptions',
      headers: user.headers,
      payload: body('https://metadata.internal.example/latest'),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      title: 'Invalid Push Subscription',
      errors: [
        {
          path: '/endpoint',
          message: expect.stringContaining('fcm.googleapis.com, updates.push.services.mozilla.com, *.push.apple.com, *.notify.windows.com'),
        },
      ],
    });
    expect((await byDefault().inject({ method: 'GET', url: '/push/subscriptions', headers: user.headers })).json().subscriptions).toHaveLength(4);
  });

  it(`wakes at most ${MAX_SUBSCRIPTIONS} devices per account: the next one is a 409`, async () => {
    const user = await signIn(api(), db());
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) {
      expect((await api().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: body() })).statusCode).toBe(201);
    }
    const over = await api().inject({ method: 'POST', url: '/push/subscriptions', headers: user.headers, payload: body() });
    expect(over.json()).toMatchObject({ status: 409, title: 'Too Many Devices' });
  });
});
