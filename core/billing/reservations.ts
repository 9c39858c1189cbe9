/**
 * Credit held for calls in progress. `reserve` works out the longest call the available credit
 * (balance minus other holds) pays for at the call's rate and holds its price; `settle` charges the
 * billable seconds (never more than was held) and frees the hold; `release` frees it without a charge.
 * Every step locks the account's balance row first, then the reservation: one order, no deadlocks.
 */
import type { Kysely } from 'kysely';
import type { Database, Rate, Reservation } from '../../db/schema.ts';
import { inTransaction } from '../../db/transaction.ts';
import { micros, negate, type Micros } from '../money.ts';
import { insertLockedEntry, lockBalance } from './ledger.ts';
import { chargeFor, maxSecondsFor, tariffOf } from './rating.ts';
import { holdsAndSpend } from './spend.ts';

export interface ReservationLimits {
  /** Calls one account may have in progress at once (a fraud limit). */
  readonly maxConcurrent: number;
  /** No call is allowed longer than this, whatever the credit (also bounds a free rate). */
  readonly maxCallSeconds: number;
  /** Ringing/setup time on top of the call's maximum before a reservation counts as stale. */
  readonly setupGraceSeconds: number;
  /**
   * Most the account may spend in any 24 h (a fraud limit, see core/abuse/): what closed holds charged plus
   * what open ones hold. A call gets at most what is left of it, so calls in progress can never go past it.
   */
  readonly dailySpendCap?: Micros | null;
}

const DAY_MS = 86_400_000;

export type ReserveResult =
  | { readonly ok: true; readonly reservationId: string; readonly maxSeconds: number; readonly hold: Micros }
  | { readonly ok: false; readonly reason: 'insufficient-credit' | 'too-many-calls' | 'daily-spend-cap' };

/**
 * Holds credit for a call at `rate`, for the call record `call.cdrId` when given (a stale hold is then
 * settled from that record). Refuses when the account already has `maxConcurrent` calls in
 * progress, its daily spend cap is used up, or the available credit does not cover the first increment.
 * Both limits are checked under the account's lock, so racing calls cannot overshoot them.
 * @example
 * const held = await reserve(db, accountId, rate, limits, { cdrId });
 * if (held.ok) startCall({ maxSeconds: held.maxSeconds });
 */
export async function reserve(
  db: Kysely<Database>,
  accountId: string,
  rate: Pick<Rate, 'id' | 'price_per_minute' | 'first_increment' | 'next_increment' | 'connection_fee'>,
  limits: ReservationLimits,
  call: { readonly cdrId?: string } = {},
): Promise<ReserveResult> {
  return inTransaction(db, async (trx) => {
    const balance = await lockBalance(trx, accountId);
    const holds = await holdsAndSpend(trx, accountId, new Date(Date.now() - DAY_MS));
    if (holds.active >= limits.maxConcurrent) return { ok: false, reason: 'too-many-calls' };
    const available = balance - holds.reserved;
    const allowance = limits.dailySpendCap ? limits.dailySpendCap - holds.spentSince : Infinity;
    if (allowance <= 0) return { ok: false, reason: 'daily-spend-cap' };
    const tariff = tariffOf(rate);
    const maxSeconds = maxSecondsFor(tariff, micros(Math.min(available, allowance)), limits.maxCallSeconds);
    if (maxSeconds === 0) return { ok: false, reason: allowance < available ? 'daily-spend-cap' : 'insufficient-credit' };
    const hold = chargeFor(tariff, maxSeconds);
    const created = await trx
      .insertInto('reservations')
      .values({
        account_id: accountId,
        rate_id: rate.id,
        price_per_minute: tariff.pricePerMinute,
        first_increment: tariff.firstIncrement,
        next_increment: tariff.nextIncrement,
        connection_fee: tariff.connectionFee,
        max_seconds: maxSeconds,
        hold,
        expires_at: new Date(Date.now() + (maxSeconds + limits.setupGraceSeconds) * 1000),
        cdr_id: call.cdrId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ok: true, reservationId: created.id, maxSeconds, hold };
  });
}

export class ReservationClosedError extends Error {
  constructor(
    readonly reservationId: string,
    readonly status: string,
  ) {
    super(`reservation ${reservationId} is ${status}`);
    this.name = 'ReservationClosedError';
  }
}

export class ReservationNotFoundError extends Error {
  constructor(readonly reservationId: string) {
    super(`no reservation ${reservationId}`);
    this.name = 'ReservationNotFoundError';
  }
}

/** Locks account then reservation; the reservation must still be active. The lock lasts the transaction. */
async function lockActive(trx: Kysely<Database>, reservationId: string): Promise<Reservation> {
  const owner = await trx.selectFrom('reservations').select('account_id').where('id', '=', reservationId).executeTakeFirst();
  if (owner === undefined) throw new ReservationNotFoundError(reservationId);
  await lockBalance(trx, owner.account_id);
  const reservation = await trx.selectFrom('reservations').selectAll().where('id', '=', reservationId).forUpdate().executeTakeFirstOrThrow();
  if (reservation.status !== 'active') throw new ReservationClosedError(reservationId, reservation.status);
  return reservation;
}

/** Charges (at most the hold) and closes; the caller holds the account lock (see lockActive). */
async function close(trx: Kysely<Database>, reservation: Reservation, status: 'settled' | 'released' | 'expired', billableSeconds: number): Promise<Micros> {
  // Never more than was held: a call that ran past its maximum (a late BYE) costs at most the hold.
  const charged = micros(Math.min(chargeFor(tariffOf(reservation), billableSeconds), reservation.hold));
  if (charged > 0) {
    await insertLockedEntry(trx, { accountId: reservation.account_id, kind: 'call_charge', amount: negate(charged), reference: reservation.id });
  }
  await trx
    .updateTable('reservations')
    .set({ status, closed_at: new Date(), billable_seconds: billableSeconds, charged })
    .where('id', '=', reservation.id)
    .execute();
  return charged;
}

/**
 * Ends a call: charges `billableSeconds` at the reserved rate, capped at the hold, and frees the hold.
 * Throws {@link ReservationClosedError} if it was already settled, released or expired.
 * @example const charged = await settle(db, reservationId, 125);
 */
export async function settle(db: Kysely<Database>, reservationId: string, billableSeconds: number): Promise<Micros> {
  return inTransaction(db, async (trx) => close(trx, await lockActive(trx, reservationId), 'settled', billableSeconds));
}

/**
 * Frees a hold without a charge (the call never connected).
 * Throws {@link ReservationClosedError} if it was already closed.
 * @example await release(db, reservationId);
 */
export async function release(db: Kysely<Database>, reservationId: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    await close(trx, await lockActive(trx, reservationId), 'released', 0);
  });
}

/**
 * Billable seconds of the call a reservation was for, from its call record; null when there is none.
 * Runs inside the expiry's transaction and must query through `trx` (one connection on PGlite).
 */
export type BillableSecondsLookup = (trx: Kysely<Database>, reservation: Reservation) => Promise<number | null>;

/**
 * Closes reservations past their expiry (their process died mid-call): charged from the call record's
 * billable seconds when `lookup` finds one, else closed without a charge. Status `expired` either way.
 * @example await expireStaleReservations(db, new Date(), billableSecondsFromCdr());
 */
export async function expireStaleReservations(db: Kysely<Database>, now: Date, lookup: BillableSecondsLookup): Promise<{ expired: number; charged: number }> {
  const stale = await db
    .selectFrom('reservations')
    .select('id')
    .where('status', '=', 'active')
    .where('expires_at', '<', now)
    .orderBy('expires_at')
    .limit(500)
    .execute();
  let expired = 0;
  let charged = 0;
  for (const { id } of stale) {
    await inTransaction(db, async (trx) => {
      let reservation: Reservation;
      try {
        reservation = await lockActive(trx, id);
      } catch (error) {
        if (error instanceof ReservationClosedError) return; // settled meanwhile by its call
        throw error;
      }
      const seconds = await lookup(trx, reservation);
      const amount = await close(trx, reservation, 'expired', seconds ?? 0);
      expired += 1;
      charged += amount;
    });
  }
  return { expired, charged };
}

/**
 * The lookup the expiry job uses: billable seconds from the reservation's call record — its
 * `billable_seconds` when the call was closed and rated, else answer to end (or to its last heartbeat for a call
 * whose end was never recorded), 0 when never answered; null without a record.
 * @example expireStaleReservations(db, now, billableSecondsFromCdr());
 */
export function billableSecondsFromCdr(): BillableSecondsLookup {
  return async (db, reservation) => {
    if (reservation.cdr_id === null) return null;
    const cdr = await db
      .selectFrom('cdrs')
      .select(['billable_seconds', 'answered_at', 'ended_at', 'alive_at'])
      .where('id', '=', reservation.cdr_id)
      .executeTakeFirst();
    if (cdr === undefined) return null;
    if (cdr.billable_seconds !== null) return cdr.billable_seconds;
    if (cdr.answered_at === null) return 0;
    // A call whose end was never recorded is billed to its last sign of life (a heartbeat), not to the expiry: the
    // expiry comes at the hold's maximum, and charging to it would bill a call lost to a fault as talking all along.
    return Math.max(0, Math.ceil(((cdr.ended_at ?? cdr.alive_at ?? cdr.answered_at).getTime() - cdr.answered_at.getTime()) / 1000));
  };
}
