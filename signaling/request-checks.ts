/**
 * What every request outside a dialog is checked for before its method's handler (RFC 3261 §8.2.1–8.2.2), so each
 * handler sees only a request it can act on. Pure: the adapter (srf.ts) reads the fields and sends the reply.
 */
import { refuse, type SipReply } from './sip-reply.ts';

export interface RequestHead {
  readonly method: string;
  readonly uri: string;
  /** The Require header as sent, if any. */
  readonly require: string | undefined;
}

/** Methods this UAS acts on outside a dialog; ACK, CANCEL and BYE are handled in transactions and dialogs. */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER';

/**
 * Option tags a request may Require of us (§8.2.2.3). None: we send no reliable provisionals (100rel) and keep no
 * session timers (timer), so a request that needs either is refused rather than served half.
 */
const SUPPORTED: readonly string[] = [];

const SCHEMES = ['sip', 'sips'];

/**
 * @example
 * checkRequest({ method: 'OPTIONS', uri: 'soap.beep://host', require: undefined }) // 416, unsupported-uri-scheme
 */
export function checkRequest(head: RequestHead): SipReply | undefined {
  // §8.2.2.1: a Request-URI scheme we do not serve.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(head.uri)?.[1]?.toLowerCase();
  if (scheme === undefined || !SCHEMES.includes(scheme)) return refuse(416, 'Unsupported URI Scheme', 'unsupported-uri-scheme');
  // §8.2.2.3: extensions the client requires and we do not support are listed back in Unsupported.
  const unsupported = (head.require ?? '')
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '' && !SUPPORTED.includes(tag.toLowerCase()));
  if (unsupported.length > 0) return refuse(420, 'Bad Extension', 'bad-extension', { Unsupported: unsupported.join(', ') });
  return undefined;
}

/** §8.2.1: a method we know of but do not serve outside a dialog gets 405 with what we do allow. */
export function methodNotAllowed(): SipReply {
  return refuse(405, 'Method Not Allowed', 'method-not-allowed', { Allow: ALLOW });
}
