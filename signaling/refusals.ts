/** The one mapping from a call refusal (core) to what the caller hears (SIP status, reason phrase, X-Reason). */
import type { Refusal, RefusalReason } from '../core/calls/refusal.ts';
import { refuse, type SipReply } from './sip-reply.ts';

const STATUS: Record<RefusalReason, readonly [number, string]> = {
  'not-authenticated': [407, 'Proxy Authentication Required'],
  'bad-credentials': [403, 'Forbidden'],
  'source-not-allowed': [403, 'Forbidden'],
  'bad-number': [484, 'Address Incomplete'],
  'destination-not-allowed': [403, 'Destination Not Allowed'],
  'destination-blocked': [403, 'Destination Blocked'],
  'no-rate': [403, 'Destination Not Allowed'],
  'no-credit': [402, 'Payment Required'],
  'too-many-calls': [403, 'Too Many Calls'],
  'calls-per-minute': [403, 'Call Rate Exceeded'],
  'daily-spend-cap': [403, 'Daily Spend Cap Reached'],
  'account-suspended': [403, 'Account Suspended'],
  'unknown-did': [404, 'Not Found'],
  offline: [480, 'Temporarily Unavailable'],
  'no-trunk': [503, 'Service Unavailable'],
  // RFC 3261 §21.4.26: the session description cannot be met (a browser's WebRTC media to an RTP-only peer).
  'media-unavailable': [488, 'Not Acceptable Here'],
};

export function refusalReply(refusal: Refusal): SipReply {
  const [status, phrase] = STATUS[refusal.reason];
  return refuse(status, phrase, refusal.reason);
}
