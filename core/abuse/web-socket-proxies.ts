/**
 * Reverse proxies browsers' SIP WebSockets come through (SIP_WS_PROXIES; compose: Caddy, which terminates WSS on 8443
 * with the operator's certificate and forwards to drachtio-server's ws port). drachtio-server sees every such browser
 * at the proxy's address, so that address is shared: per-address blocks (core/abuse/address-blocks.ts) must not
 * apply to it, or one guesser or flooder would block SIP for every browser; the narrower blocks (per username, per
 * connection's port) still do. Only ws/wss (the top Via's transport) counts: the proxy sends nothing else, and its
 * addresses are on the operator's private network.
 */
import { BlockList, isIP } from 'node:net';
import { parseCidr } from '../calls/trunks.ts';

/** Whether a request from `address` over `transport` (the top Via's) came through one of the proxies. */
export type WebSocketProxies = (address: string, transport: string | undefined) => boolean;

/**
 * @example
 * const proxied = webSocketProxies(['172.30.0.0/24']);
 * proxied('172.30.0.9', 'wss'); // true
 * proxied('172.30.0.9', 'udp'); // false
 */
export function webSocketProxies(cidrs: readonly string[]): WebSocketProxies {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const entry = parseCidr(cidr);
    list.addSubnet(entry.address, entry.prefix, entry.family);
  }
  return (address, transport) =>
    cidrs.length > 0 && (transport === 'ws' || transport === 'wss') && isIP(address) !== 0 && list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}
