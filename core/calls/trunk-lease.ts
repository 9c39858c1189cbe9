/**
 * Which signaling node registers a trunk: the one holding its lease (trunk_registration_leases). Two nodes
 * registering one trunk would each bind their own contact and the carrier would split (or fork) its calls between
 * them, so each registration trunk has one holder. A node takes a free or expired lease, or renews its own, in one
 * statement; the lease runs out on its own when its holder stops renewing (crashed, cut off), and another node then
 * takes it over.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/**
 * Takes or renews `nodeId`'s lease on `trunkId` until `now + ttlMs`; true when this node holds it afterwards. One
 * statement (insert ... on conflict do update where expired or ours), so two nodes racing cannot both win: the row
 * lock makes the second see the first's lease, unexpired and not its own, and update nothing.
 * @example if (await takeTrunkLease(db, trunk.id, 'sig-1', new Date(), 60_000)) register(trunk);
 */
export async function takeTrunkLease(db: Kysely<Database>, trunkId: number, nodeId: string, now: Date, ttlMs: number): Promise<boolean> {
  const expiresAt = new Date(now.getTime() + ttlMs);
  const row = await db
    .insertInto('trunk_registration_leases')
    .values({ trunk_id: trunkId, node_id: nodeId, expires_at: expiresAt })
    .onConflict((conflict) =>
      conflict
        .column('trunk_id')
        .doUpdateSet({ node_id: nodeId, expires_at: expiresAt })
        .where((eb) => eb.or([eb('trunk_registration_leases.expires_at', '<=', now), eb('trunk_registration_leases.node_id', '=', nodeId)])),
    )
    .returning('node_id')
    .executeTakeFirst();
  return row?.node_id === nodeId;
}

/** Lets go of this node's lease (it stopped registering the trunk): another node may take it at once. */
export async function releaseTrunkLease(db: Kysely<Database>, trunkId: number, nodeId: string): Promise<void> {
  await db.deleteFrom('trunk_registration_leases').where('trunk_id', '=', trunkId).where('node_id', '=', nodeId).execute();
}

/** Who holds each trunk's unexpired lease, by trunk id (the admin view). */
export async function trunkLeaseHolders(db: Kysely<Database>, now: Date): Promise<Map<number, string>> {
  const rows = await db.selectFrom('trunk_registration_leases').select(['trunk_id', 'node_id']).where('expires_at', '>', now).execute();
  return new Map(rows.map((row) => [row.trunk_id, row.node_id]));
}
