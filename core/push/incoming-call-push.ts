/**
 * Waking a user's browsers for an incoming call (issue 16): one Web Push to each of the account's subscriptions,
 * carrying only that a call is coming and an opaque id for it (never a number or a name: the push service, and
 * whoever reads a locked screen, learns nothing of who calls). The push is worth nothing once the caller has given up,
 * so it lives briefly at the push service (TTL) and asks to be delivered at once (Urgency: high, RFC 8030 §5.3).
 * A subscription its push service calls gone (404/410, RFC 8030 §7.3) is deleted; one that took a push is marked.
 * An endpoint on a host no longer allowed (PUSH_SERVICE_HOSTS, core/push/push-services.ts) is not sent to: counted
 * failed and kept, since the list may be widened again.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';
import { DEFAULT_PUSH_SERVICE_HOSTS, pushEndpointProblem } from './push-services.ts';
import { forgetSubscription, markDelivered, pushTargets, type PushTarget } from './subscriptions.ts';

/** Seconds a push service keeps an undelivered incoming-call push: about as long as a caller waits. */
export const INCOMING_CALL_TTL_SECONDS = 30;

const OPAQUE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PushMessage {
  /** The plaintext the browser's service worker gets; encrypted to the subscription's keys by the transport. */
  readonly payload: string;
  readonly ttlSeconds: number;
  readonly urgency: 'very-low' | 'low' | 'normal' | 'high';
}

/** What the push service answered: took it, says the subscription is gone, or anything else (kept, tried next call). */
export type PushOutcome = 'delivered' | 'gone' | 'failed';

/** The port a Web Push library fills (signaling/web-push.ts): encrypt, sign with VAPID, POST to the endpoint. */
export interface PushTransport {
  send(target: PushTarget, message: PushMessage): Promise<PushOutcome>;
}

export type PushCounts = Record<PushOutcome, number>;

export class OpaqueCallIdError extends Error {
  override name = 'OpaqueCallIdError';
}

/**
 * Pushes to every browser the account subscribed; resolves with how many pushes each outcome had.
 * @example
 * const counts = await sendIncomingCallPush(db, vault, transport, accountId, cdr.id); // { delivered: 2, gone: 1, failed: 0 }
 */
export async function sendIncomingCallPush(
  db: Kysely<Database>,
  vault: Vault,
  transport: PushTransport,
  accountId: string,
  opaqueCallId: string,
  allowedHosts: readonly string[] = DEFAULT_PUSH_SERVICE_HOSTS,
): Promise<PushCounts> {
  // A random id (the call record's), so that nothing about the caller can ride along in it.
  if (!OPAQUE_ID.test(opaqueCallId)) throw new OpaqueCallIdError('the call id in a push must be an opaque UUID');
  const message: PushMessage = {
    payload: JSON.stringify({ type: 'incoming-call', callId: opaqueCallId }),
    ttlSeconds: INCOMING_CALL_TTL_SECONDS,
    urgency: 'high',
  };
  const counts: PushCounts = { delivered: 0, gone: 0, failed: 0 };
  const targets = await pushTargets(db, vault, accountId);
  await Promise.all(
    targets.map(async (target) => {
      if (pushEndpointProblem(target.endpoint, allowedHosts) !== undefined) return void counts.failed++;
      const outcome = await transport.send(target, message);
      counts[outcome]++;
      if (outcome === 'delivered') await markDelivered(db, target.id);
      else if (outcome === 'gone') await forgetSubscription(db, target.id);
    }),
  );
  return counts;
}
