import Srf from 'drachtio-srf';
import type { SrfRequest } from '../srf.ts';
import type { InviteFacts } from './call-context.ts';

/**
 * Reads the facts the call flow needs off a new INVITE, and starts watching for its CANCEL: `stop` aborts with the
 * reason `caller` then; an operator's hang-up aborts it with another (ringing-stop.ts).
 */
export function readInvite(req: SrfRequest, stop = new AbortController()): InviteFacts {
  const user = Srf.parseUri(req.uri)?.user ?? '';
  let dialled = user;
  try {
    dialled = decodeURIComponent(user);
  } catch {
    // a malformed escape is left as sent: number parsing refuses it
  }
  req.on('cancel', () => stop.abort('caller'));
  return {
    callId: req.get('Call-ID'),
    dialled,
    calledUser: Srf.parseUri(req.getParsedHeader('To').uri)?.user,
    callingUser: Srf.parseUri(req.getParsedHeader('From').uri)?.user,
    sourceAddress: req.source_address,
    sourcePort: Number(req.source_port),
    transport: viaTransport(req),
    proxyAuthorization: req.has('Proxy-Authorization') ? req.get('Proxy-Authorization') : undefined,
    sdp: req.body,
    localContact: localContact(req),
    cancelled: stop.signal,
  };
}

/**
 * Where drachtio-server received the INVITE (untyped `receivedOn`, host:port) and over what (the top Via: over ws
 * drachtio reports `req.protocol` as tcp), as a Contact; undefined if drachtio did not say.
 */
function localContact(req: SrfRequest): string | undefined {
  const receivedOn = (req as SrfRequest & { receivedOn?: string }).receivedOn;
  const transport = viaTransport(req);
  if (receivedOn === undefined || transport === undefined) return undefined;
  return `<sip:${receivedOn};transport=${transport}>`;
}

/** The top Via's transport, lower case (over ws drachtio reports `req.protocol` as tcp); undefined if it has none. */
function viaTransport(req: SrfRequest): string | undefined {
  return req.getParsedHeader('Via')[0]?.protocol?.toLowerCase();
}
