/** Maps a drachtio REGISTER onto the registrar's {@link RegisterRequest}; anything unreadable is a 400. */
import type { SipTransport } from '../../db/schema.ts';
import type { SrfRequest } from '../srf.ts';
import type { RegisterRequest } from './register.ts';

export class RegisterParseError extends Error {}

const TRANSPORTS: readonly SipTransport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** The transport the UA used, from the top Via: over ws drachtio reports `req.protocol` as tcp. */
export function viaTransport(req: SrfRequest): SipTransport {
  const via = req.getParsedHeader('Via')[0];
  const transport = via?.protocol?.toLowerCase();
  if (!transport || !(TRANSPORTS as readonly string[]).includes(transport)) throw new RegisterParseError(`unsupported transport ${transport}`);
  return transport as SipTransport;
}

function seconds(value: string | undefined | null, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!/^\d{1,10}$/.test(value.trim())) throw new RegisterParseError(`${what} is not a number of seconds`);
  return Number(value.trim());
}

/** A Contact's `+sip.instance` (RFC 5626 §4.1: a quoted URN in angle brackets), unquoted; absent or empty: none. */
function instanceOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const unquoted = value.trim().replace(/^"(.*)"$/, '$1');
  if (unquoted === '') return undefined;
  if (unquoted.length > 200) throw new RegisterParseError('+sip.instance is too long');
  return unquoted;
}

export function registerRequestFrom(req: SrfRequest): RegisterRequest {
  try {
    const rawContact = req.has('Contact') ? req.get('Contact').trim() : '';
    // RFC 3261 §10.3 step 6: `*` stands alone; beside other contacts the request is a 400.
    if (rawContact !== '*' && /(^|,)\s*\*\s*(,|$)/.test(rawContact)) throw new RegisterParseError('Contact: * cannot be combined with other contacts');
    const contacts =
      rawContact === '*'
        ? ('*' as const)
        : rawContact === ''
          ? []
          : req.getParsedHeader('Contact').map((contact) => {
              const instance = instanceOf(contact.params?.['+sip.instance'] as string | undefined);
              return {
                uri: contact.uri,
                expires: seconds(contact.params?.expires as string | undefined, 'Contact expires'),
                ...(instance === undefined ? {} : { instance }),
              };
            });
    const cseq = /^(\d+)\s+REGISTER$/i.exec(req.get('CSeq').trim());
    if (!cseq?.[1]) throw new RegisterParseError('CSeq is not "<number> REGISTER"');
    const toUri = req.getParsedHeader('To').uri;
    // RFC 3261 §10.2: the address-of-record in To is a SIP or SIPS URI (RFC 4475 §3.3.4 expects 400 otherwise).
    if (!/^sips?:/i.test(toUri ?? '')) throw new RegisterParseError('To is not a SIP or SIPS URI');
    const toUser = /^sips?:([^@;]+)@/i.exec(toUri)?.[1];
    return {
      uri: req.uri,
      callId: req.get('Call-ID'),
      cseq: Number(cseq[1]),
      authorization: req.has('Authorization') ? req.get('Authorization') : undefined,
      toUser: toUser === undefined ? undefined : decodeURIComponent(toUser),
      contacts,
      expires: seconds(req.has('Expires') ? req.get('Expires') : undefined, 'Expires'),
      transport: viaTransport(req),
      sourceAddress: req.source_address,
      sourcePort: Number(req.source_port),
      drachtioServer: req.server?.hostport ?? 'unknown',
      userAgent: req.has('User-Agent') ? req.get('User-Agent') : undefined,
    };
  } catch (error) {
    if (error instanceof RegisterParseError) throw error;
    throw new RegisterParseError((error as Error).message);
  }
}
