import type { Kysely } from 'kysely';
import { closeSilentNodes } from '../core/calls/orphans.ts';
import type { Database } from '../db/schema.ts';
import type { Job } from './scheduler.ts';

/**
 * Closes and bills the calls of signaling nodes silent past CALL_NODE_DEAD_SECONDS, for when no other signaling node
 * is left to do it. It sends no BYE (no drachtio connection here): the legs stay owed one, which the next signaling
 * node up sends. Like a node, it acts only after a run in a row that reached the database, so a database outage
 * never makes live nodes look dead.
 */
export function closeSilentNodesJob(db: Kysely<Database>, deadAfterMs: number, everyMs = 15_000): Job {
  let previousRunOk = false;
  return {
    name: 'close-silent-nodes',
    everyMs,
    run: async () => {
      const actOnOthers = previousRunOk;
      previousRunOk = false;
      if (!actOnOthers) {
        await db.selectFrom('signaling_nodes').select('node_id').limit(1).execute();
        previousRunOk = true;
        return;
      }
      const { nodes, closed } = await closeSilentNodes(db, new Date(), deadAfterMs);
      previousRunOk = true;
      return { nodes: nodes.length, closed };
    },
  };
}
