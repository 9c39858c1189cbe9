/**
 * A client's address as logs may hold it: IPv4 cut to its /24, IPv6 to its /48 (an IPv4-mapped IPv6 address as the
 * IPv4 it is). Enough to see a network misbehave, not to single out a person; the full address is kept only where
 * abuse handling needs it, in the database, under the retention job (docs/architecture.md, "What logs hold").
 * @example
 * logAddress('203.0.113.91') // '203.0.113.0/24'
 * logAddress('2001:db8:85a3::8a2e:370:7334') // '2001:db8:85a3::/48'
 */
import { isIPv4, isIPv6 } from 'node:net';

export function logAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return logAddress(mapped);
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(address)) return `${ipv6Groups(address).slice(0, 3).join(':')}::/48`;
  // Not an address (a hostname, garbage from the wire): nothing of it is logged.
  return '[not an address]';
}

/**
 * A SIP Call-ID as logs may hold it: many phones write theirs as `<random>@<own address>`, so an address after the `@`
 * is truncated like any other and a host name dropped; the random part still finds the call in a SIP trace.
 * @example logCallId('a84b4c76e66710@192.0.2.4') // 'a84b4c76e66710@192.0.2.0/24'
 */
export function logCallId(callId: string): string {
  const at = callId.lastIndexOf('@');
  if (at < 0) return callId;
  const host = callId.slice(at + 1).replace(/^\[(.*)\]$/, '$1');
  return `${callId.slice(0, at)}@${isIPv4(host) || isIPv6(host) ? logAddress(host) : '[host]'}`;
}

/** The eight groups of an IPv6 address, `::` expanded, without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => (/^[0-9a-f]+$/i.test(group) ? parseInt(group, 16).toString(16) : group));
}
