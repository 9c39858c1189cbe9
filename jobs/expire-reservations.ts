import type { Kysely } from 'kysely';
import { billableSecondsFromCdr, expireStaleReservations } from '../core/billing/reservations.ts';
import type { Database } from '../db/schema.ts';
import type { Job } from './scheduler.ts';

/**
 * Closes credit holds whose call outlived its maximum plus setup grace (the process handling it died),
 * charging what the call's record shows was used (capped at the hold); a hold with no record is freed.
 */
export function expireReservationsJob(db: Kysely<Database>, everyMs = 60_000): Job {
  return {
    name: 'expire-reservations',
    everyMs,
    run: () => {
      const now = new Date();
      return expireStaleReservations(db, now, billableSecondsFromCdr());
    },
  };
}
