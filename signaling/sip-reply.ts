/** What a SIP handler answers, independent of drachtio: the adapter turns it into `res.send`. */
export interface SipReply {
  readonly status: number;
  readonly reason?: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A refusal: a status, the reason phrase, and the machine-readable `X-Reason` every refusal carries
 * (the one vocabulary of why a request was turned away, shared with logs and metrics).
 */
export function refuse(status: number, reason: string, xReason: string, headers: Record<string, string> = {}): SipReply {
  return { status, reason, headers: { 'X-Reason': xReason, ...headers } };
}
