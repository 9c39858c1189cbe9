/**
 * A trunk's outbound URI, `sip:host[:port][;transport=udp|tcp|tls]`: the one parser, used by the operator's trunk
 * validation (trunk-admin.ts) and by routing (the Request-URI and next hop of each attempt), so that what an
 * operator may store is exactly what a call can use.
 *
 * RFC 3261 §19.1.1: a SIP URI with no user part (the trunk's host is the next hop; the number becomes the user).
 * The host is a name, an IPv4 address or a bracketed IPv6 reference.
 */

export type TrunkTransport = 'udp' | 'tcp' | 'tls';

export interface TrunkUri {
  readonly scheme: 'sip' | 'sips';
  /** As written: a name, an IPv4 address, or `[v6]` with its brackets. */
  readonly host: string;
  readonly port: number | undefined;
  readonly transport: TrunkTransport | undefined;
}

const URI =
  /^(sips?):((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?((?:;[^;]*)*)$/;

/**
 * @returns the parts, or a sentence saying what is wrong (for the operator's 400).
 * @example
 * parseTrunkUri('sip:sbc.carrier.example:5060;transport=udp'); // { scheme: 'sip', host: 'sbc.carrier.example', port: 5060, transport: 'udp' }
 */
export function parseTrunkUri(uri: string): { readonly ok: true; readonly uri: TrunkUri } | { readonly ok: false; readonly problem: string } {
  const match = URI.exec(uri.trim());
  if (match === null) return { ok: false, problem: 'not sip:host[:port][;transport=udp|tcp|tls] (no user part: the number is added per call)' };
  const [, scheme, host, portText, paramText] = match as unknown as [string, 'sip' | 'sips', string, string | undefined, string];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65_535)) return { ok: false, problem: `port ${portText} is not 1-65535` };
  let transport: TrunkTransport | undefined;
  for (const param of paramText.split(';').slice(1)) {
    const [name = '', value] = param.split('=');
    if (name.toLowerCase() !== 'transport') return { ok: false, problem: `unsupported URI parameter ${name || '(empty)'}: only transport is taken` };
    const lower = value?.toLowerCase();
    if (lower !== 'udp' && lower !== 'tcp' && lower !== 'tls') return { ok: false, problem: `transport must be udp, tcp or tls, not ${value ?? '(empty)'}` };
    transport = lower;
  }
  if (scheme === 'sips' && (transport === 'udp' || transport === 'tcp')) return { ok: false, problem: `a sips: URI needs TLS, not transport=${transport}` };
  return { ok: true, uri: { scheme, host, port, transport } };
}

/** The URI back as text, with `user` when given: `sip:+14155550100@sbc.carrier.example:5060;transport=udp`. */
export function formatTrunkUri(uri: TrunkUri, user?: string): string {
  const hostPort = uri.port === undefined ? uri.host : `${uri.host}:${uri.port}`;
  const params = uri.transport === undefined ? '' : `;transport=${uri.transport}`;
  return `${uri.scheme}:${user === undefined ? '' : `${user}@`}${hostPort}${params}`;
}
