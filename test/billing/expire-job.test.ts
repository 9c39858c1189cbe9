import { expect, it } from 'vitest';
import { balanceOf } from '../../core/billing/ledger.ts';
import { reserve } from '../../core/billing/reservations.ts';
import { expireReservationsJob, noCallRecords } from '../../jobs/expire-reservations.ts';
import { startScheduler } from '../../jobs/scheduler.ts';
import { createLogger } from '../../logger.ts';
import { describeEachDialect } from '../harness/databases.ts';
import { createAccount, createTestRate, credit } from '../harness/billing.ts';

describeEachDialect('expire-reservations job', (database) => {
  it('frees a hold past its expiry when the scheduler runs it', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 100_000);
    const rate = await createTestRate(db, { pricePerMinute: '0.06', firstIncrement: 1, nextIncrement: 1 });
    const held = await reserve(db, accountId, rate, { maxConcurrent: 5, maxCallSeconds: 60, setupGraceSeconds: 10 });
    expect(held.ok).toBe(true);
    // Backdate the hold as if its process had died long ago.
    await db.updateTable('reservations').set({ expires_at: new Date(Date.now() - 1000) }).where('account_id', '=', accountId).execute();
    const scheduler = startScheduler([expireReservationsJob(db, noCallRecords, 3_600_000)], createLogger('silent'));
    try {
      expect(await scheduler.runNow('expire-reservations')).toEqual({ expired: 1, charged: 0 });
    } finally {
      await scheduler.stop();
    }
    expect(await balanceOf(db, accountId)).toEqual({ balance: 100_000, reserved: 0, available: 100_000 });
  });
});
