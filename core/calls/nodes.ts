/**
 * Signaling nodes' liveness: each writes its heartbeat (signaling_nodes) every CALL_HEARTBEAT_SECONDS, busy or idle,
 * so the calls of one that fell silent (crashed, killed, cut off, never restarted under its name) can be closed by
 * another node or by the jobs role after a bounded time instead of waiting for that node to come back.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/**
 * Writes this process's heartbeat. With `lastMark` (its previous one), also tells whether another process wrote
 * one under the same node id since: two live processes sharing SIGNALING_NODE_ID would take each other's calls for
 * lost, so a caller that learns it is `shared` must not act on its records as its own.
 * @example const { shared } = await markNodeAlive(db, { nodeId: 'sig-1', instance }, new Date(), previous);
 */
export async function markNodeAlive(
  db: Kysely<Database>,
  process: { readonly nodeId: string; readonly instance: string },
  now: Date,
  lastMark?: Date,
): Promise<{ readonly shared: boolean }> {
  const before = await db.selectFrom('signaling_nodes').select(['instance', 'alive_at']).where('node_id', '=', process.nodeId).executeTakeFirst();
  await db
    .insertInto('signaling_nodes')
    .values({ node_id: process.nodeId, alive_at: now, instance: process.instance })
    .onConflict((conflict) => conflict.column('node_id').doUpdateSet({ alive_at: now, instance: process.instance }))
    .execute();
  const shared = lastMark !== undefined && before !== undefined && before.instance !== process.instance && before.alive_at > lastMark;
  return { shared };
}

/**
 * The nodes silent for longer than `deadAfterMs` that still have calls open or legs owed a BYE, other than `self`.
 * A node with no heartbeat row (it ran before nodes wrote one) counts as silent once its calls' own last sign of
 * life (heartbeat, else start) is that old.
 */
export async function silentNodes(db: Kysely<Database>, now: Date, deadAfterMs: number, self?: string): Promise<string[]> {
  const cutoff = new Date(now.getTime() - deadAfterMs);
  const rows = await db
    .selectFrom('cdrs')
    .leftJoin('signaling_nodes', 'signaling_nodes.node_id', 'cdrs.node_id')
    .select('cdrs.node_id')
    .distinct()
    .where((eb) => eb.or([eb('cdrs.ended_at', 'is', null), eb('cdrs.caller_dialog', 'is not', null), eb('cdrs.callee_dialog', 'is not', null)]))
    .where((eb) =>
      eb.or([
        eb('signaling_nodes.alive_at', '<', cutoff),
        eb.and([eb('signaling_nodes.alive_at', 'is', null), eb(sql<Date>`coalesce(cdrs.alive_at, cdrs.started_at)`, '<', cutoff)]),
      ]),
    )
    .$if(self !== undefined, (query) => query.where('cdrs.node_id', '!=', self!))
    .execute();
  return rows.map((row) => row.node_id);
}
