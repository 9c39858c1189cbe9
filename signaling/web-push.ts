/**
 * The Web Push transport (core/push/incoming-call-push.ts's port) on the `web-push` library: it encrypts the payload
 * to the subscription's keys (RFC 8291, aes128gcm), signs a VAPID JWT for the endpoint's origin (RFC 8292) and POSTs
 * it to the push service (RFC 8030). Nothing here logs: an endpoint names a device.
 */
import type { Agent } from 'node:https';
import webPush from 'web-push';
import type { VapidKeys } from '../config.ts';
import type { PushOutcome, PushTransport } from '../core/push/incoming-call-push.ts';

export interface WebPushOptions {
  /** The TLS agent: only a test's stand-in needs one (to trust its own CA). */
  readonly agent?: Agent;
  /** How long one push service may take to answer. */
  readonly timeoutMs?: number;
}

/**
 * @example
 * const transport = webPushTransport(vapid, config.push.subject);
 * await sendIncomingCallPush(db, vault, transport, accountId, callId);
 */
export function webPushTransport(vapid: VapidKeys, subject: string, options: WebPushOptions = {}): PushTransport {
  const vapidDetails = { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey };
  return {
    async send(target, message): Promise<PushOutcome> {
      try {
        await webPush.sendNotification({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, message.payload, {
          vapidDetails,
          TTL: message.ttlSeconds,
          urgency: message.urgency,
          contentEncoding: 'aes128gcm',
          timeout: options.timeoutMs ?? 5000,
          ...(options.agent === undefined ? {} : { agent: options.agent }),
        });
        return 'delivered';
      } catch (error) {
        if (error instanceof webPush.WebPushError && (error.statusCode === 404 || error.statusCode === 410)) return 'gone';
        return 'failed';
      }
    },
  };
}
