import type { Kysely } from 'kysely';
import { expireStaleReservations, type BillableSecondsLookup } from '../core/billing/reservations.ts';
import type { Database } from '../db/schema.ts';
import type { Job } from './scheduler.ts';

/**
 * Closes credit holds whose call outlived its maximum plus setup grace (the process handling it died).
 * `lookup` finds the call's billable seconds in its call record; until call records exist it finds none
 * and the hold is freed without a charge.
 */
export function expireReservationsJob(db: Kysely<Database>, lookup: BillableSecondsLookup, everyMs = 60_000): Job {
  return {
    name: 'expire-reservations',
    everyMs,
    run: () => expireStaleReservations(db, new Date(), lookup),
  };
}

/** The lookup to use while no call records are kept (CDR tables arrive with the SIP edge). */
export const noCallRecords: BillableSecondsLookup = async () => null;
