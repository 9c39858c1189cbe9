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
export function refuse(status: number, reason: string | undefined, xReason: string, headers: Record<string, string> = {}): SipReply {
  return { status, ...(reason === undefined ? {} : { reason }), headers: { 'X-Reason': xReason, ...headers } };
}

/**
 * Names the receiving party's own record of the call (its id in GET /calls) on the 200 answering a caller and on the
 * INVITE ringing a device, so a browser can report how the call sounded on it (POST /calls/:id/quality). Not sent
 * to carriers: a record is only named to the account it belongs to. The softphone reads it (phone/call.ts).
 */
export const CALL_RECORD_HEADER = 'X-Dialo-Call-Record';

/** A handler failed because the database cannot be reached: the client is told to retry (RFC 3261 §21.5.4). */
export function databaseUnavailable(): SipReply {
  return refuse(503, 'Service Unavailable', 'database-unavailable', { 'Retry-After': '5' });
}

/** The machine-readable reason a reply carries, if it is a refusal. */
export function xReasonOf(reply: SipReply): string | undefined {
  return reply.headers['X-Reason'];
}

/**
 * The parts of a provisional response carrying SDP (early media). drachtio-srf adds neither a Content-Type (without
 * one a browser ignores the SDP) nor, before the 2xx, a Contact (an early dialog needs one, RFC 3261 §12.1.1).
 * @example res.send(183, earlyMediaParts(facts.localContact, sdp));
 */
export function earlyMediaParts(localContact: string | undefined, sdp: string): { body: string; headers: Record<string, string> } {
  return { body: sdp, headers: { 'Content-Type': 'application/sdp', ...(localContact === undefined ? {} : { Contact: localContact }) } };
}
