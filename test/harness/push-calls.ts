/**
 * Calls that wake a callee by Web Push, for call suites: a push-service stand-in on loopback (push-service.ts) that
 * the signaling stack pushes to, with the VAPID pair, PUSH_SERVICE_HOSTS and PUSH_RING_SECONDS a suite runs with, and
 * browsers' subscriptions stored for an account as the push routes store them.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import webPush from 'web-push';
import { saveSubscription } from '../../core/push/subscriptions.ts';
import type { Database } from '../../db/schema.ts';
import { TEST_VAULT } from './api.ts';
import { startPushService, type PushServiceStandIn, type ReceivedPush } from './push-service.ts';
import type { StackOptions } from './signaling.ts';

/** PUSH_SERVICE_HOSTS in these suites: the stand-in's host. */
const STAND_IN_HOSTS = ['127.0.0.1'];

export interface PushCalls {
  readonly service: PushServiceStandIn;
  /** The signaling stack's env: the VAPID pair, the stand-in as the one push service, `ringSeconds`. */
  env(): Record<string, string>;
  /** The stack's options: a TLS agent trusting the stand-in. */
  options(): StackOptions;
  /** A browser of the account subscribed (consented) at the stand-in; resolves with its endpoint's path there. */
  subscribe(db: Kysely<Database>, accountId: string): Promise<string>;
  /** The pushes the stand-in received for `path`, decrypted. */
  pushesTo(path: string): ReceivedPush[];
}

/** Starts the stand-in before the suite's stack (call it before useCallStack) and stops it after. */
export function usePushCalls(ringSeconds: number): PushCalls {
  const vapid = webPush.generateVAPIDKeys();
  let service: PushServiceStandIn | undefined;
  let agent: Agent | undefined;
  beforeAll(async () => {
    service = await startPushService();
    agent = new Agent({ ca: service.ca });
  });
  afterAll(async () => {
    agent?.destroy();
    await service?.close();
  });
  const started = (): PushServiceStandIn => {
    if (service === undefined) throw new Error('push service stand-in not started: use it inside a test or hook');
    return service;
  };
  return {
    get service() {
      return started();
    },
    env: () => ({
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      PUSH_SERVICE_HOSTS: STAND_IN_HOSTS.join(','),
      PUSH_RING_SECONDS: String(ringSeconds),
    }),
    options: () => (agent === undefined ? {} : { pushAgent: agent }),
    async subscribe(db, accountId) {
      const path = `/wpush/${randomUUID()}`;
      const browser = started().subscribe(path, vapid.publicKey);
      await saveSubscription(
        db,
        TEST_VAULT,
        accountId,
        { endpoint: browser.endpoint, p256dh: browser.p256dh, auth: browser.auth, label: null },
        { allowedHosts: STAND_IN_HOSTS },
      );
      return path;
    },
    pushesTo: (path) => started().received.filter((push) => push.path === path),
  };
}
