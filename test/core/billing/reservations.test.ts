import { expect, it } from 'vitest';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { expireStaleReservations, release, reserve, ReservationClosedError, settle, type ReservationLimits } from '../../../core/billing/reservations.ts';
import { openCdr } from '../../../core/calls/cdr.ts';
import { expireReservationsJob } from '../../../jobs/expire-reservations.ts';
import { startScheduler } from '../../../jobs/scheduler.ts';
import { createLogger } from '../../../logger.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { createAccount, createTestRate, credit } from '../../harness/billing.ts';

const limits: ReservationLimits = { maxConcurrent: 100, maxCallSeconds: 3600, setupGraceSeconds: 60 };

describeEachDialect('reservations', (database) => {
  it('holds the longest call the available credit pays for, then refuses when nothing is left', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 150_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 60, nextIncrement: 60 });
    const held = await reserve(db, accountId, rate, limits);
    expect(held).toMatchObject({ ok: true, maxSeconds: 120, hold: 120_000 });
    expect(await balanceOf(db, accountId)).toEqual({ balance: 150_000, reserved: 120_000, available: 30_000 });
    expect(await reserve(db, accountId, rate, limits)).toEqual({ ok: false, reason: 'insufficient-credit' });
  });

  it('refuses a call beyond the concurrent-call limit', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 10_000_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.01', firstIncrement: 1, nextIncrement: 1 });
    const tight = { ...limits, maxConcurrent: 2, maxCallSeconds: 60 };
    expect((await reserve(db, accountId, rate, tight)).ok).toBe(true);
    expect((await reserve(db, accountId, rate, tight)).ok).toBe(true);
    expect(await reserve(db, accountId, rate, tight)).toEqual({ ok: false, reason: 'too-many-calls' });
  });

  it('settles the billed seconds and frees the hold; settling twice is refused', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 1_000_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 30, nextIncrement: 6, connectionFee: '0.001' });
    const held = await reserve(db, accountId, rate, limits);
    if (!held.ok) throw new Error('expected a reservation');
    // 31 s at 30/6 bills 36 s: 1000 fee + 36 s * 1000/s = 37_000.
    expect(await settle(db, held.reservationId, 31)).toBe(37_000);
    expect(await balanceOf(db, accountId)).toEqual({ balance: 963_000, reserved: 0, available: 963_000 });
    await expect(settle(db, held.reservationId, 31)).rejects.toBeInstanceOf(ReservationClosedError);
    await expect(release(db, held.reservationId)).rejects.toBeInstanceOf(ReservationClosedError);
    expect((await balanceOf(db, accountId)).balance).toBe(963_000);
  });

  /** An account with 0.10 of credit holding one call at 0.06/min billed per second. */
  async function oneHeldCall() {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 100_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 1, nextIncrement: 1 });
    const held = await reserve(db, accountId, rate, limits);
    if (!held.ok) throw new Error('expected a reservation');
    return { db, accountId, held };
  }

  it('charges no more than it held when settled with more seconds than it allowed', async () => {
    const { db, accountId, held } = await oneHeldCall();
    expect(held.maxSeconds).toBe(100);
    expect(await settle(db, held.reservationId, 5000)).toBe(held.hold);
    expect((await balanceOf(db, accountId)).balance).toBe(0);
  });

  it('settles at the rate the call started with, even after the rate changes', async () => {
    const { db, accountId, held } = await oneHeldCall();
    await db.updateTable('rates').set({ price_per_minute: 6_000_000 }).where('price_per_minute', '=', 60_000).execute();
    expect(await settle(db, held.reservationId, 10)).toBe(10_000);
    expect((await balanceOf(db, accountId)).balance).toBe(90_000);
  });

  it('releases without a charge', async () => {
    const { db, accountId, held } = await oneHeldCall();
    await release(db, held.reservationId);
    expect(await balanceOf(db, accountId)).toEqual({ balance: 100_000, reserved: 0, available: 100_000 });
  });

  it('50 concurrent reservations racing for the last credit never hold more than the balance', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    // Each call holds at most 60 s at 0.06/min = 60_000; the balance covers 10 of them and a bit.
    await credit(db, accountId, 630_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 60, nextIncrement: 60 });
    const capped = { ...limits, maxCallSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 50 }, () => reserve(db, accountId, rate, capped)));
    const held = results.filter((result) => result.ok);
    expect(held).toHaveLength(10);
    expect(results.filter((result) => !result.ok).every((result) => result.reason === 'insufficient-credit')).toBe(true);
    const { balance, reserved } = await balanceOf(db, accountId);
    expect(reserved).toBe(held.reduce((sum, result) => sum + result.hold, 0));
    expect(reserved).toBeLessThanOrEqual(balance);

    // Settle them all at once, half asking for far more seconds than they were allowed.
    await Promise.all(held.map((result, index) => settle(db, result.reservationId, index % 2 === 0 ? 10_000 : 59)));
    const after = await balanceOf(db, accountId);
    expect(after.balance).toBeGreaterThanOrEqual(0);
    expect(after.balance).toBe(630_000 - 5 * 60_000 - 5 * 60_000);
    expect(after.reserved).toBe(0);
    expect(await balanceMismatches(db)).toEqual([]);
  });
});

// A database of its own: expiry sweeps every account's stale reservations.
describeEachDialect('reservation expiry', (database) => {
  it('expires stale reservations, charging from the call record when there is one', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 1_000_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 1, nextIncrement: 1 });
    const short = { ...limits, maxCallSeconds: 60 };
    const withRecord = await reserve(db, accountId, rate, short);
    const withoutRecord = await reserve(db, accountId, rate, short);
    const fresh = await reserve(db, accountId, rate, { ...short, setupGraceSeconds: 3600 });
    if (!withRecord.ok || !withoutRecord.ok || !fresh.ok) throw new Error('expected reservations');
    const later = new Date(Date.now() + 121_000);
    const result = await expireStaleReservations(db, later, async (_trx, reservation) => (reservation.id === withRecord.reservationId ? 42 : null));
    expect(result).toEqual({ expired: 2, charged: 42_000 });
    const statuses = await db.selectFrom('reservations').select(['id', 'status', 'charged']).where('account_id', '=', accountId).execute();
    expect(statuses).toEqual(
      expect.arrayContaining([
        { id: withRecord.reservationId, status: 'expired', charged: 42_000 },
        { id: withoutRecord.reservationId, status: 'expired', charged: 0 },
        { id: fresh.reservationId, status: 'active', charged: null },
      ]),
    );
    expect(await balanceOf(db, accountId)).toMatchObject({ balance: 958_000, reserved: 60_000 });
  });

  it('settles stale holds from their call records when the scheduler runs the job', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 1_000_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 1, nextIncrement: 1 });
    const base = Date.now(); // one clock reading, so answer-to-end is exactly the seconds given
    const call = (answeredAgoS: number | null, endedAgoS: number | null, aliveAgoS: number | null = null) =>
      openCdr(db, TEST_VAULT, {
        sipCallId: crypto.randomUUID(),
        direction: 'outbound',
        accountId,
        fromNumber: null,
        toNumber: '+442079460958',
        nodeId: 'crashed-node',
      }).then(async (cdrId) => {
        const at = (ago: number | null) => (ago === null ? null : new Date(base - ago * 1000));
        await db
          .updateTable('cdrs')
          .set({ answered_at: at(answeredAgoS), ended_at: at(endedAgoS), alive_at: at(aliveAgoS) })
          .where('id', '=', cdrId)
          .execute();
        return cdrId;
      });
    const tight = { maxConcurrent: 5, maxCallSeconds: 60, setupGraceSeconds: 10 };
    // Answered 100 s ago, ended 58 s ago: 42 s. Answered and never closed: to its last heartbeat (30 s after the
    // answer), never to the expiry (that would bill a call lost to a fault as talking until its hold ran out).
    // Never answered: nothing. No record at all: freed without a charge.
    for (const cdrId of [await call(100, 58), await call(300, null, 270), await call(null, null), undefined]) {
      expect((await reserve(db, accountId, rate, tight, cdrId === undefined ? {} : { cdrId })).ok).toBe(true);
    }
    // Backdate the holds as if their process had died long ago.
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('account_id', '=', accountId)
      .execute();
    const scheduler = startScheduler([expireReservationsJob(db, 3_600_000)], createLogger('silent'));
    try {
      expect(await scheduler.runNow('expire-reservations')).toEqual({ expired: 4, charged: 42_000 + 30_000 });
    } finally {
      await scheduler.stop();
    }
    expect(await balanceOf(db, accountId)).toEqual({ balance: 928_000, reserved: 0, available: 928_000 });
  });
});
