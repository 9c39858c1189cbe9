/**
 * Calls on record as signaling writes them, for suites that read histories and sums: opened, held, answered, ended
 * and settled through the real core functions (or left unanswered), at a start time of the suite's choosing.
 */
import { sql, type Kysely } from 'kysely';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { reserve, settle } from '../../core/billing/reservations.ts';
import { recordBrowserQuality } from '../../core/calls/browser-quality.ts';
import type { CallState } from '../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import type { CallDirection, Database, Rate } from '../../db/schema.ts';
import { TEST_VAULT } from './api.ts';
import type { TestDatabase } from './databases.ts';

const LIMITS = { maxConcurrent: 10, maxCallSeconds: 3600, setupGraceSeconds: 60 };

export interface SeededCall {
  readonly direction?: CallDirection;
  readonly from?: string;
  readonly to: string;
  readonly startedAt: string;
  /** Answered for this long (charged at `rate` if given); else how it ended unanswered. */
  readonly talkSeconds?: number;
  readonly rate?: Rate;
  readonly unanswered?: CallState;
  /** An answered call's scores: the media server's (1-5), the browser's (hundredths). */
  readonly mos?: number;
  readonly browserMos?: number;
}

let counter = 0;

/** Writes the call; returns its record's id. */
export async function seedCall(database: TestDatabase, accountId: string, call: SeededCall): Promise<string> {
  const { db } = database;
  counter += 1;
  const direction = call.direction ?? 'outbound';
  const id = await openCdr(db, TEST_VAULT, {
    sipCallId: `seeded-${counter}-${call.startedAt}-${call.to}`,
    direction,
    accountId,
    fromNumber: call.from ?? '+14155550199',
    toNumber: call.to,
    nodeId: 'test',
  });
  const started = new Date(call.startedAt);
  await sql`update cdrs set started_at = ${started} where id = ${id}`.execute(db);
  if (call.talkSeconds === undefined) {
    await recordCdrState(db, id, call.unanswered ?? { phase: 'cancelled' });
    return id;
  }
  const held = call.rate === undefined ? undefined : await reserve(db, accountId, call.rate, LIMITS, { cdrId: id });
  if (held !== undefined && !held.ok) throw new Error(`no hold: ${held.reason}`);
  const answeredAt = new Date(started.getTime() + 5000);
  const endedAt = new Date(answeredAt.getTime() + call.talkSeconds * 1000);
  await recordCdrState(db, id, { phase: 'answered', target: call.to, answeredAt });
  const cost = held === undefined ? 0 : await settle(db, held.reservationId, call.talkSeconds);
  const ended: CallState = { phase: 'ended', target: call.to, answeredAt, endedAt, by: 'caller', cause: 'normal' };
  await recordCdrState(db, id, ended, {
    billable_seconds: held === undefined ? 0 : call.talkSeconds,
    cost,
    ...(call.mos === undefined ? {} : { mos: call.mos }),
  });
  if (call.browserMos !== undefined) {
    const outcome = await recordBrowserQuality(db, accountId, id, { mosHundredths: call.browserMos, rttMs: 20, jitterMs: 2, lossPermille: 0 });
    if (outcome !== 'recorded') throw new Error(`browser quality not recorded: ${outcome}`);
  }
  return id;
}

/** Two rates, effective since 2000: GB (prefix 44) at 0.60 a minute in whole minutes; FR (33) at 0.30 a minute by the second. */
export async function gbAndFrRates(db: Kysely<Database>): Promise<{ gb: Rate; fr: Rate }> {
  const effectiveFrom = '2000-01-01T00:00:00Z';
  const gb = await createRate(db, toRateInput({ prefix: '44', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom }));
  const fr = await createRate(db, toRateInput({ prefix: '33', pricePerMinute: '0.30', firstIncrement: 1, nextIncrement: 1, effectiveFrom }));
  return { gb, fr };
}
