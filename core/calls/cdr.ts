/**
 * Call detail records, written from the call state machine: a row at INVITE, updated on every state change that
 * matters to billing or disputes (answer, end, refusal, failure).
 */
import { sql, type ExpressionBuilder, type Kysely, type Updateable } from 'kysely';
import type { CallDirection, CdrsTable, Database } from '../../db/schema.ts';
import { inTransaction } from '../../db/transaction.ts';
import { countryOf } from '../numbers.ts';
import { isSealed, type Vault } from '../privacy/vault.ts';
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
  /** A leg a transfer placed: the transferring user's record of the call it came from (core/calls/transfer.ts). */
  readonly transferredFrom?: string;
}

/**
 * The numbers as a record of this account stores them: sealed under its key, deterministically so that the database
 * can still count the distinct numbers an account called (core/abuse/abuse-patterns.ts). A record without an account
 * has no key to seal under; a value there that reads as sealed (a caller can dial anything) is dropped, or every
 * reader would try to open it.
 */
async function storedNumbers(db: Kysely<Database>, vault: Vault, call: Pick<NewCall, 'accountId' | 'fromNumber' | 'toNumber'>) {
  const numbers = [call.fromNumber, call.toNumber];
  if (call.accountId === null) return numbers.map((number) => (isSealed(number) ? null : number));
  return vault.sealAll(db, call.accountId, numbers, { deterministic: true });
}

/**
 * Writes the attempt row, its numbers sealed under the account's key; returns its id. The key is read from the
 * vault's cache (none for `db` inside a transaction): no statement beyond the insert once it is warm.
 * @example
 * const cdrId = await openCdr(db, vault, { sipCallId, direction: 'outbound', accountId, fromNumber: '+14155550100', toNumber: '+442079460000', nodeId });
 */
export async function openCdr(db: Kysely<Database>, vault: Vault, call: NewCall): Promise<string> {
  const [fromNumber, toNumber] = await storedNumbers(db, vault, call);
  const row = await db
    .insertInto('cdrs')
    .values({
      sip_call_id: call.sipCallId,
      direction: call.direction,
      account_id: call.accountId,
      from_number: fromNumber ?? null,
      to_number: toNumber ?? null,
      // Kept beside the sealed number so usage can be summed per country in the database (0048).
      destination_country: call.toNumber === null ? null : (countryOf(call.toNumber) ?? null),
      phase: 'setup',
      node_id: call.nodeId,
      trunk_id: call.trunkId ?? null,
      transferred_from: call.transferredFrom ?? null,
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
export type FaultScope =
  | { readonly sipCallId: string }
  /** These records only: a transfer's new leg, which shares its Call-ID with the call it came from. */
  | { readonly cdrIds: readonly string[] }
  | { readonly notCarried: readonly string[]; readonly startedBefore: Date };

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
        if ('cdrIds' in fault) return query.where('id', 'in', fault.cdrIds);
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

/** What de-identification puts before a number's keyed hash (core/privacy/sources/calls.ts): such a value is never sealed. */
export const DEIDENTIFIED = 'deid:';
const LEGACY_BATCH = 1000;

/**
 * Seals the numbers of records written before numbers were sealed (records with an account only), a batch of 1000 at a
 * time, at most `maxBatches` of them; returns the records sealed. Idempotent: a sealed or de-identified number is left
 * be, and a record that changed since it was read (erased meanwhile) is not written.
 * @example
 * const sealed = await sealLegacyCallRecords(db, vault); // 0 once every record is sealed
 */
export async function sealLegacyCallRecords(db: Kysely<Database>, vault: Vault, maxBatches = Number.POSITIVE_INFINITY): Promise<number> {
  let sealed = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const plain = (column: 'from_number' | 'to_number') => (eb: ExpressionBuilder<Database, 'cdrs'>) =>
      eb.and([eb(column, 'not like', 'v1.%'), eb(column, 'not like', `${DEIDENTIFIED}%`)]);
    const rows = await db
      .selectFrom('cdrs')
      .innerJoin('accounts', 'accounts.id', 'cdrs.account_id')
      .select(['cdrs.id', 'cdrs.account_id', 'from_number', 'to_number'])
      // An erased account's records are de-identified already; its key is gone and must not come back.
      .where('accounts.status', '!=', 'deleted')
      .where((eb) => eb.or([plain('from_number')(eb), plain('to_number')(eb)]))
      .orderBy('cdrs.id')
      .limit(LEGACY_BATCH)
      .execute();
    if (rows.length === 0) break;
    sealed += await inTransaction(db, async (trx) => {
      let written = 0;
      const byAccount = new Map<string, typeof rows>();
      for (const row of rows) byAccount.set(row.account_id!, [...(byAccount.get(row.account_id!) ?? []), row]);
      for (const [accountId, records] of byAccount) {
        const keep = (value: string | null) => value === null || value.startsWith(DEIDENTIFIED) || isSealed(value);
        const values = records.flatMap((row) => [row.from_number, row.to_number]);
        const sealedValues = await vault.sealAll(
          trx,
          accountId,
          values.map((value) => (keep(value) ? null : value)),
          { deterministic: true },
        );
        for (const [i, row] of records.entries()) {
          const updated = await trx
            .updateTable('cdrs')
            .set({ from_number: sealedValues[2 * i] ?? row.from_number, to_number: sealedValues[2 * i + 1] ?? row.to_number })
            .where('id', '=', row.id)
            .where(sql<boolean>`from_number is not distinct from ${row.from_number}`)
            .where(sql<boolean>`to_number is not distinct from ${row.to_number}`)
            .executeTakeFirst();
          written += Number(updated.numUpdatedRows);
        }
      }
      return written;
    });
    if (rows.length < LEGACY_BATCH) break;
  }
  return sealed;
}
