/**
 * Why a call was refused, in one vocabulary shared by the call core, CDRs, logs and metrics. The SIP adapter maps
 * each to a status (signaling/refusals.ts); nothing else decides statuses.
 */
export const REFUSALS = [
  'not-authenticated',
  'bad-credentials',
  'credentials-expired',
  'source-blocked',
  'source-not-allowed',
  'bad-number',
  'destination-not-allowed',
  'destination-blocked',
  'no-rate',
  'no-credit',
  'too-many-calls',
  'calls-per-minute',
  'daily-spend-cap',
  'account-suspended',
  'unknown-did',
  'offline',
  'no-trunk',
  'media-unavailable',
] as const;

export type RefusalReason = (typeof REFUSALS)[number];

export interface Refusal {
  readonly reason: RefusalReason;
  /** For logs and operators; never shown to the caller beyond the reason code. */
  readonly detail?: string;
}

export function isRefusalReason(text: string | undefined): text is RefusalReason {
  return (REFUSALS as readonly (string | undefined)[]).includes(text);
}

export function refusal(reason: RefusalReason, detail?: string): Refusal {
  return detail === undefined ? { reason } : { reason, detail };
}
