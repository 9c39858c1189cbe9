/**
 * What an in-dialog SIP INFO carries, decided before signaling acts on it: DTMF digits (the legacy "INFO DTMF" desk
 * phones and carriers send, RFC 6086 §2 "legacy INFO usage"), nothing at all, or something the call cannot carry,
 * refused with the status RFC 6086 names for it. The bridge then relays or converts the digits
 * (signaling/call/info-relay.ts).
 */

/** The two DTMF bodies in use, in what we accept (RFC 3261 §21.4.13: a 415 names them in Accept). */
export const DTMF_INFO_TYPES = ['application/dtmf-relay', 'application/dtmf'] as const;

/** RFC 4733 §3.2 event codes 0-15 as their keys. */
const KEYS = '0123456789*#ABCD';

/** Tone lengths a sender may ask for: shorter is not heard as a digit, longer holds the call's other keys up. */
const MIN_DURATION_MS = 40;
const MAX_DURATION_MS = 5000;

export type DtmfInfo =
  /** Digits to pass on, and how long each tone lasts when the sender said. */
  | { readonly kind: 'dtmf'; readonly digits: string; readonly durationMs: number | undefined }
  /** No body at all (some phones send it as a keepalive): nothing to carry, answered 200. */
  | { readonly kind: 'empty' }
  | { readonly kind: 'refused'; readonly status: 400 | 415 | 469; readonly reason: string; readonly headers: Readonly<Record<string, string>> };

export interface InfoRequest {
  readonly contentType: string | undefined;
  /** The Info-Package header (RFC 6086 §7.2), present only on INFO sent for a negotiated package. */
  readonly infoPackage: string | undefined;
  readonly body: string;
}

/** One key as RFC 4733 numbers it (`10` is `*`, as some phones write it) or as itself; undefined if it is no key. */
function keyOf(signal: string): string | undefined {
  const text = signal.trim().toUpperCase();
  if (/^1[0-5]$/.test(text)) return KEYS[Number(text)];
  return text.length === 1 && KEYS.includes(text) ? text : undefined;
}

function durationOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Math.min(MAX_DURATION_MS, Math.max(MIN_DURATION_MS, Number(value)));
}

const badBody = (detail: string): DtmfInfo => ({ kind: 'refused', status: 400, reason: `Bad DTMF: ${detail}`.slice(0, 80), headers: {} });

/** "Signal=5\r\nDuration=160" (the de facto application/dtmf-relay format; names are case-insensitive). */
function readDtmfRelay(body: string): DtmfInfo {
  const fields = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at > 0) fields.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1));
  }
  const signal = fields.get('signal');
  if (signal === undefined) return badBody('no Signal line');
  const key = keyOf(signal);
  if (key === undefined) return badBody(`Signal ${signal.trim()} is not a key`);
  return { kind: 'dtmf', digits: key, durationMs: durationOf(fields.get('duration')) };
}

/**
 * @example
 * const info = readDtmfInfo({ contentType: req.get('Content-Type'), infoPackage: req.get('Info-Package'), body: req.body });
 * if (info.kind === 'refused') return res.send(info.status, info.reason, { headers: info.headers });
 */
export function readDtmfInfo(request: InfoRequest): DtmfInfo {
  // RFC 6086 §4.2.2: an INFO for a package we never said we receive (we offer none in Recv-Info) gets a 469 with
  // the packages we do take: none, so an empty Recv-Info.
  if (request.infoPackage !== undefined && request.infoPackage.trim() !== '')
    return { kind: 'refused', status: 469, reason: 'Bad Info Package', headers: { 'Recv-Info': '' } };
  const type = request.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || type === '') return request.body.trim() === '' ? { kind: 'empty' } : badBody('a body without a Content-Type');
  // RFC 3261 §21.4.13: a body we cannot take is refused with 415 and an Accept header listing those we can.
  if (type === 'application/dtmf-relay') return readDtmfRelay(request.body);
  if (type === 'application/dtmf') {
    const key = keyOf(request.body);
    return key === undefined
      ? badBody(`${JSON.stringify(request.body.trim().slice(0, 20))} is not a key`)
      : { kind: 'dtmf', digits: key, durationMs: undefined };
  }
  return { kind: 'refused', status: 415, reason: 'Unsupported Media Type', headers: { Accept: DTMF_INFO_TYPES.join(', ') } };
}
