/**
 * The privacy promises about push subscriptions (issue 16): the subject sees each one in the export (its endpoint and
 * label, not the keys a push is encrypted to), counted among "devices" in the summary, and deletion of the account
 * erases them.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { TEST_PASSWORD, signIn, useTestApi, type SignedIn } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { browserSubscription } from '../../harness/push-service.ts';

describeEachDialect('push subscriptions and privacy', (database) => {
  const api = useTestApi(database, { push: { publicKey: browserSubscription('https://unused.example').p256dh, serviceHosts: ['push.example.org'] } });
  const db = () => database().db;

  async function subscribe(user: SignedIn, label: string) {
    const subscription = browserSubscription(`https://push.example.org/wpush/${randomUUID()}`);
    const response = await api().inject({
      method: 'POST',
      url: '/push/subscriptions',
      headers: user.headers,
      payload: { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth }, label },
    });
    expect(response.statusCode).toBe(201);
    return subscription;
  }

  it('appears in the export with its endpoint and label, without its keys', async () => {
    const user = await signIn(api(), db());
    const subscription = await subscribe(user, 'Phone in the kitchen');
    const bundle = (await api().inject({ method: 'GET', url: '/privacy/export', headers: user.headers })).json();
    expect(bundle.contents.push_subscriptions).toMatch(/wake for calls/);
    expect(bundle.data.push_subscriptions).toEqual([
      { id: expect.any(String), endpoint: subscription.endpoint, label: 'Phone in the kitchen', created_at: expect.any(String), last_success_at: null },
    ]);
    const text = JSON.stringify(bundle);
    expect(text).not.toContain(subscription.p256dh);
    expect(text).not.toContain(subscription.auth);
    const csv = await api().inject({ method: 'GET', url: '/privacy/export/csv/push_subscriptions', headers: user.headers });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain(subscription.endpoint);
  });

  it('is counted among devices in the summary', async () => {
    const user = await signIn(api(), db());
    const devices = async () =>
      (await api().inject({ method: 'GET', url: '/privacy/summary', headers: user.headers }))
        .json<{ kinds: { kind: string; count: number; holds: string[] }[] }>()
        .kinds.find((kind) => kind.kind === 'devices')!;
    const before = await devices();
    await subscribe(user, 'Laptop');
    const after = await devices();
    expect(after.count).toBe(before.count + 1);
    expect(after.holds).toEqual(expect.arrayContaining([expect.stringMatching(/wake for calls/)]));
  });

  it('is erased with the account', async () => {
    const user = await signIn(api(), db());
    const other = await signIn(api(), db());
    await subscribe(user, 'Tablet');
    await subscribe(other, 'Theirs');
    expect((await api().inject({ method: 'POST', url: '/privacy/deletion', headers: user.headers, payload: { password: TEST_PASSWORD } })).statusCode).toBe(
      202,
    );
    expect(await db().selectFrom('push_subscriptions').select('id').where('account_id', '=', user.accountId).execute()).toEqual([]);
    expect(await db().selectFrom('push_subscriptions').select('id').where('account_id', '=', other.accountId).execute()).toHaveLength(1);
  });
});
