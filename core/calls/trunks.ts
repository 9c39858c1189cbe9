/**
 * Carriers: which trunk an inbound INVITE came from (by source address, CIDR allow-lists), and which trunks an
 * outbound call may use, in priority order.
 */
import { BlockList, isIP } from 'node:net';
import type { Kysely, Selectable } from 'kysely';
import type { Database, TrunksTable } from '../../db/schema.ts';

export type Trunk = Selectable<TrunksTable>;

export class InvalidCidr extends Error {}

/** Parses `192.0.2.0/24`, `2001:db8::/32` or a bare address into a BlockList entry's arguments. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = cidr.trim().split('/');
  const version = isIP(address);
  if (version === 0) throw new InvalidCidr(`not an IP address: ${cidr}`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw new InvalidCidr(`bad prefix length in ${cidr}`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function allows(trunk: Trunk, address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  for (const cidr of trunk.inbound_sources) {
    const entry = parseCidr(cidr);
    list.addSubnet(entry.address, entry.prefix, entry.family);
  }
  return list.check(address, family);
}

/** Every enabled trunk, first choice first (ties by id, so the order is stable). */
export async function enabledTrunks(db: Kysely<Database>): Promise<Trunk[]> {
  return db.selectFrom('trunks').selectAll().where('enabled', '=', true).orderBy('priority').orderBy('id').execute();
}

/** Of `trunks` (enabled ones), the first whose allow-list holds `address`, if any. */
export function trunkForSource(trunks: readonly Trunk[], address: string): Trunk | undefined {
  if (isIP(address) === 0) return undefined;
  return trunks.find((trunk) => allows(trunk, address));
}

/** Of `trunks` (enabled ones, in order), those that take outbound calls. */
export function outboundTrunks(trunks: readonly Trunk[]): Trunk[] {
  return trunks.filter((trunk) => trunk.outbound_uri !== null);
}
