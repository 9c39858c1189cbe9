/**
 * An incoming-call push on real parts: core/push/incoming-call-push.ts through the web-push transport
 * (signaling/web-push.ts) to a push-service stand-in on loopback HTTPS (test/harness/push-service.ts), which verifies
 * the VAPID JWT and decrypts the aes128gcm body with the subscription's private key, as a browser would.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type VapidKeys } from '../../../config.ts';
import { INCOMING_CALL_TTL_SECONDS, OpaqueCallIdError, sendIncomingCallPush } from '../../../core/push/incoming-call-push.ts';
import { listSubscriptions, saveSubscription } from '../../../core/push/subscriptions.ts';
import { vapidKeys } from '../../../local-servers/secrets.ts';
import { webPushTransport } from '../../../signaling/web-push.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { startPushService, type BrowserSubscription, type PushServiceStandIn } from '../../harness/push-service.ts';

const SUBJECT = 'mailto:ops@dialo.example.org';
/** PUSH_SERVICE_HOSTS as a test sets it: the stand-in, on loopback. */
const STAND_IN_HOSTS = ['127.0.0.1'];

describeEachDialect('incoming-call push', (database) => {
  const db = () => database().db;
  let service: PushServiceStandIn;
  let agent: Agent;
  let vapid: VapidKeys;
  beforeAll(async () => {
    vapid = (await vapidKeys(loadConfig({ PGLITE_DATA_DIR: 'memory://' })))!;
    service = await startPushService();
    agent = new Agent({ ca: service.ca });
  });
  afterAll(async () => {
    agent?.destroy();
    await service?.close();
  });

  /** An account with a name and a number: what a push must never carry. */
  async function account() {
    const { id } = await db()
      .insertInto('accounts')
      .values({ email: `push-${randomUUID().slice(0, 8)}@example.org`, display_name: 'Ada Lovelace', status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('dids')
      .values({ e164: `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`, account_id: id })
      .execute();
    return id;
  }

  async function subscribeBrowser(accountId: string, status = 201): Promise<BrowserSubscription & { path: string }> {
    const path = `/wpush/${randomUUID()}`;
    const browser = service.subscribe(path, vapid.publicKey, status);
    await saveSubscription(
      db(),
      TEST_VAULT,
      accountId,
      { endpoint: browser.endpoint, p256dh: browser.p256dh, auth: browser.auth, label: null },
      { allowedHosts: STAND_IN_HOSTS },
    );
    return Object.assign(browser, { path });
  }

  const lastSuccess = async (accountId: string) =>
    (await db().selectFrom('push_subscriptions').select('last_success_at').where('account_id', '=', accountId).execute()).map((row) => row.last_success_at);

  it('sends each browser a signed, encrypted push holding only "incoming call" and the opaque id, briefly and urgently', async () => {
    const transport = webPushTransport(vapid, SUBJECT, { agent });
    const accountId = await account();
    const other = await account();
    const phone = await subscribeBrowser(accountId);
    const laptop = await subscribeBrowser(accountId);
    const theirs = await subscribeBrowser(other);
    const callId = randomUUID();
    const before = service.received.length;

    expect(await sendIncomingCallPush(db(), TEST_VAULT, transport, accountId, callId, STAND_IN_HOSTS)).toEqual({ delivered: 2, gone: 0, failed: 0 });
    expect(service.refused).toEqual([]);
    const pushes = service.received.slice(before);
    expect(pushes.map((push) => push.path).sort()).toEqual([phone.path, laptop.path].sort());
    expect(pushes.map((push) => push.path)).not.toContain(theirs.path);
    const dids = await db().selectFrom('dids').select('e164').where('account_id', '=', accountId).execute();
    for (const push of pushes) {
      // Decrypted with the browser's own private key: exactly these two fields, no number, no name.
      expect(JSON.parse(push.plaintext)).toStrictEqual({ type: 'incoming-call', callId });
      expect(push.plaintext).not.toMatch(/\+\d|Ada|Lovelace/);
      for (const { e164 } of dids) expect(push.plaintext).not.toContain(e164.slice(1));
      expect(push.vapidKey).toBe(vapid.publicKey);
      expect(push.jwt.claims).toMatchObject({ aud: service.origin, sub: SUBJECT });
      expect(push.headers.ttl).toBe(String(INCOMING_CALL_TTL_SECONDS));
      expect(push.headers.urgency).toBe('high');
    }
    expect((await lastSuccess(accountId)).every((at) => at instanceof Date)).toBe(true);
    expect(await lastSuccess(other)).toEqual([null]);
  });

  it('deletes a subscription its push service says is gone (410 or 404), and keeps one that merely failed', async () => {
    const transport = webPushTransport(vapid, SUBJECT, { agent });
    const accountId = await account();
    await subscribeBrowser(accountId, 410);
    await subscribeBrowser(accountId, 404);
    await subscribeBrowser(accountId, 500);
    await subscribeBrowser(accountId, 201);
    expect(await sendIncomingCallPush(db(), TEST_VAULT, transport, accountId, randomUUID(), STAND_IN_HOSTS)).toEqual({ delivered: 1, gone: 2, failed: 1 });
    const left = await lastSuccess(accountId);
    expect(left).toHaveLength(2);
    expect(left.filter((at) => at === null)).toHaveLength(1); // the one that failed, kept for the next call
  });

  it('sends nothing to an endpoint whose host is no longer on PUSH_SERVICE_HOSTS (SSRF), and keeps the subscription', async () => {
    const accountId = await account();
    await subscribeBrowser(accountId);
    const before = service.received.length;
    const transport = webPushTransport(vapid, SUBJECT, { agent });
    // The default list, the known browsers' services: the loopback stand-in is not on it.
    expect(await sendIncomingCallPush(db(), TEST_VAULT, transport, accountId, randomUUID())).toEqual({ delivered: 0, gone: 0, failed: 1 });
    expect(await sendIncomingCallPush(db(), TEST_VAULT, transport, accountId, randomUUID(), ['*.push.apple.com'])).toEqual({
      delivered: 0,
      gone: 0,
      failed: 1,
    });
    expect(service.received.length).toBe(before);
    expect(service.refused).toEqual([]);
    expect(await lastSuccess(accountId)).toEqual([null]);
  });

  it('refuses a call id that is not opaque, sending nothing', async () => {
    const accountId = await account();
    await subscribeBrowser(accountId);
    const before = service.received.length;
    await expect(sendIncomingCallPush(db(), TEST_VAULT, webPushTransport(vapid, SUBJECT, { agent }), accountId, '+14155550100')).rejects.toThrow(
      OpaqueCallIdError,
    );
    expect(service.received.length).toBe(before);
  });

  it('signs with its own pair: a push signed by another pair is refused (403) by the push service, and the subscription kept', async () => {
    const other = (await vapidKeys(loadConfig({ PGLITE_DATA_DIR: 'memory://' })))!;
    const accountId = await account();
    await subscribeBrowser(accountId);
    const refusedBefore = service.refused.length;
    const counts = await sendIncomingCallPush(db(), TEST_VAULT, webPushTransport(other, SUBJECT, { agent }), accountId, randomUUID(), STAND_IN_HOSTS);
    expect(counts).toEqual({ delivered: 0, gone: 0, failed: 1 });
    expect(service.refused.slice(refusedBefore)).toEqual(['signed by a key the subscription is not bound to']);
    expect(await lastSuccess(accountId)).toEqual([null]);
  });

  it('pushes to nothing, and lists nothing, once the account key is destroyed (a restored backup’s rows stay mute)', async () => {
    const accountId = await account();
    await subscribeBrowser(accountId);
    await TEST_VAULT.shred(db(), accountId);
    const before = service.received.length;
    expect(await sendIncomingCallPush(db(), TEST_VAULT, webPushTransport(vapid, SUBJECT, { agent }), accountId, randomUUID(), STAND_IN_HOSTS)).toEqual({
      delivered: 0,
      gone: 0,
      failed: 0,
    });
    expect(service.received.length).toBe(before);
    expect(await listSubscriptions(db(), TEST_VAULT, accountId)).toEqual([]);
  });
});
