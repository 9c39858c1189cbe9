/**
 * Call detail records, written from the call state machine: a row at INVITE, updated on every state change that
 * matters to billing or disputes (answer, end, refusal, failure).
 */
import type { Kysely, Updateable } from 'kysely';
import type { CallDirection, CdrsTable, Database } from '../../db/schema.ts';
import { inTransaction } from '../../db/transaction.ts';
import { nextState, ORPHANED_CAUSE, type CallState } from './call-state.ts';
import type { DialogHandle } from './dialog-handle.ts';

export interface NewCall {
  readonly sipCallId: string;
  readonly direction: CallDirection;
  readonly accountId: string | null;
  readonly fromNumber: string | null;
  readonly toNumber: string | null;
  readonly nodeId: string;
  /** The carrier an inbound call came through. */
  readonly trunkId?: number;
}

/** Writes the attempt row; returns its id. */
export async function openCdr(db: Kysely<Database>, call: NewCall): Promise<string> {
  const row = await db
    .insertInto('cdrs')
    .values({
      sip_call_id: call.sipCallId,
      direction: call.direction,
      account_id: call.accountId,
      from_number: call.fromNumber,
      to_number: call.toNumber,
      phase: 'setup',
      node_id: call.nodeId,
      trunk_id: call.trunkId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Causes that end a call on record while its legs may still be up, with no BYE of ours able to reach them then: the
 * process died (orphaned), or its drachtio connection dropped. The BYE is sent once a connection can carry it.
 */
const LEGS_OWED_BYE: readonly string[] = [ORPHANED_CAUSE, 'signaling-lost'];

/** The columns a state determines; `now` ends a call that never had a time of its own (refused, failed, cancelled). */
function columnsOf(state: CallState, now: Date): Updateable<CdrsTable> {
  switch (state.phase) {
    case 'refused':
      return { phase: state.phase, refusal_reason: state.refusal.reason, ended_at: now };
    case 'answered':
      return { phase: state.phase, answered_at: state.answeredAt, alive_at: state.answeredAt };
    case 'ended':
      // The dialog handles only serve to hang up a call left up: not kept past its end, unless its legs are still
      // owed a BYE (core/calls/orphans.ts hangUpOwedLegs sends it and clears them).
      return {
        phase: state.phase,
        answered_at: state.answeredAt,
        ended_at: state.endedAt,
        ended_by: state.by,
        hangup_cause: state.cause,
        ...(LEGS_OWED_BYE.includes(state.cause) ? {} : { caller_dialog: null, callee_dialog: null }),
      };
    case 'failed':
      return {
        phase: state.phase,
        sip_status: state.status,
        hangup_cause: state.cause,
        ended_at: now,
        ...(state.by === undefined ? {} : { ended_by: state.by }),
      };
    case 'cancelled':
      return { phase: state.phase, hangup_cause: 'caller-cancelled', ended_by: 'caller', ended_at: now };
    default:
      return { phase: state.phase };
  }
}

/** What a call's record holds besides its state: the trunk, SIP status, charge, dialog handles and media. */
export type CdrExtra = Pick<Updateable<CdrsTable>, 'trunk_id' | 'sip_status' | 'billable_seconds' | 'cost' | 'media_server' | 'mos'> & {
  readonly caller_dialog?: DialogHandle | null;
  readonly callee_dialog?: DialogHandle | null;
};

/** Records a state change, plus whatever the caller knows besides the state. */
export async function recordCdrState(db: Kysely<Database>, cdrId: string, state: CallState, extra: CdrExtra = {}, now = new Date()): Promise<void> {
  await db
    .updateTable('cdrs')
    .set({ ...columnsOf(state, now), ...extra })
    .where('id', '=', cdrId)
    .execute();
}

/**
 * The heartbeat: marks the answered calls this node still has up (by their SIP Call-IDs) as seen alive now; a
 * record left open by a failed write is not among them, so its last sign of life stays its last. One statement per
 * interval, however many calls are up.
 */
export async function markCallsAlive(db: Kysely<Database>, nodeId: string, now: Date, sipCallIds: readonly string[]): Promise<number> {
  if (sipCallIds.length === 0) return 0;
  const result = await db
    .updateTable('cdrs')
    .set({ alive_at: now })
    .where('node_id', '=', nodeId)
    .where('sip_call_id', 'in', sipCallIds)
    .where('ended_at', 'is', null)
    .where('answered_at', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The records a fault closes: one call's (by SIP Call-ID), or those a live process no longer carries (no handler or
 * bridge of it holds their Call-ID), opened before `startedBefore` so that one being opened right now is left be.
 */
export type FaultScope = { readonly sipCallId: string } | { readonly notCarried: readonly string[]; readonly startedBefore: Date };

export interface OrphanedCall {
  readonly id: string;
  readonly accountId: string | null;
  readonly answeredAt: Date | null;
  readonly endedAt: Date;
}

/**
 * Closes the calls a crashed or killed process left open, each through the state machine's `orphaned` event.
 * Answered ones end at their last heartbeat: the last moment the call is known to have been up (billing the time to
 * the restart would charge for an outage). Unanswered ones fail now. Returns them so billing can settle each.
 */
export async function closeOrphanedCdrs(
  db: Kysely<Database>,
  nodeId: string,
  now: Date,
  /** Closed as cut short by a fault of ours rather than orphaned, and only these records. */
  fault?: FaultScope,
): Promise<OrphanedCall[]> {
  return inTransaction(db, async (trx) => {
    const open = await trx
      .selectFrom('cdrs')
      .select(['id', 'account_id', 'answered_at', 'alive_at'])
      .where('node_id', '=', nodeId)
      .where('ended_at', 'is', null)
      .$call((query) => {
        if (fault === undefined) return query;
        if ('sipCallId' in fault) return query.where('sip_call_id', '=', fault.sipCallId);
        const older = query.where('started_at', '<', fault.startedBefore);
        return fault.notCarried.length === 0 ? older : older.where('sip_call_id', 'not in', fault.notCarried);
      })
      .forUpdate()
      .execute();
    const closed: OrphanedCall[] = [];
    for (const row of open) {
      // What the row says of the call's state: answered (its target is not kept), or not yet.
      const last: CallState = row.answered_at === null ? { phase: 'setup' } : { phase: 'answered', target: 'unknown', answeredAt: row.answered_at };
      const at = row.alive_at ?? row.answered_at ?? now;
      const ended = nextState(last, fault === undefined ? { type: 'orphaned', at } : { type: 'fault', at });
      await recordCdrState(trx, row.id, ended, {}, now);
      closed.push({
        id: row.id,
        accountId: row.account_id,
        answeredAt: row.answered_at,
        endedAt: ended.phase === 'ended' ? ended.endedAt : now,
      });
    }
    return closed;
  });
}

/** The account's calls in this direction not yet over (an echo test counts itself once its record is written). */
export async function openCallsOf(db: Kysely<Database>, accountId: string, direction: CallDirection): Promise<number> {
  const row = await db
    .selectFrom('cdrs')
    .select((eb) => eb.fn.countAll<string>().as('open'))
    .where('account_id', '=', accountId)
    .where('direction', '=', direction)
    .where('ended_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.open);
}
