import { expect, it } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { release, reserve, settle, type ReservationLimits } from '../../../core/billing/reservations.ts';
import { holdsAndSpend } from '../../../core/billing/spend.ts';
import { micros } from '../../../core/money.ts';
import { createAccount, createTestRate, credit } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const DAY_MS = 86_400_000;
// 0.60 a minute by the second: 10_000 micros a second.
const rateFields = { pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1 };

describeEachDialect('daily spend cap on reservations', (database) => {
  const capped = (cap: number): ReservationLimits => ({ maxConcurrent: 100, maxCallSeconds: 3600, setupGraceSeconds: 60, dailySpendCap: micros(cap) });

  it('holds at most what is left of the cap, and refuses once holds and charges use it up', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 50_000_000);
    const rate = await createTestRate(db, rateFields);
    const first = await reserve(db, accountId, rate, capped(1_000_000));
    // 1.00 left of the cap buys 100 s, though the credit buys an hour.
    expect(first).toMatchObject({ ok: true, maxSeconds: 100, hold: 1_000_000 });
    expect(await reserve(db, accountId, rate, capped(1_000_000))).toEqual({ ok: false, reason: 'daily-spend-cap' });
    if (!first.ok) return;
    await settle(db, first.reservationId, 30);
    // 0.30 charged: 0.70 left, 70 s.
    expect((await holdsAndSpend(db, accountId, new Date(Date.now() - DAY_MS))).spentSince).toBe(300_000);
    const second = await reserve(db, accountId, rate, capped(1_000_000));
    expect(second).toMatchObject({ ok: true, maxSeconds: 70 });
    if (second.ok) await release(db, second.reservationId);
    // Without a cap the credit decides.
    expect(await reserve(db, accountId, rate, { ...capped(0), dailySpendCap: null })).toMatchObject({ ok: true, maxSeconds: 3600 });
  });

  it('says no-credit, not the cap, when the credit runs out first', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const rate = await createTestRate(db, rateFields);
    expect(await reserve(db, accountId, rate, capped(1_000_000))).toEqual({ ok: false, reason: 'insufficient-credit' });
  });

  it('forgets charges older than 24 h', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 10_000_000);
    const rate = await createTestRate(db, rateFields);
    await db
      .insertInto('reservations')
      .values({
        account_id: accountId,
        status: 'settled',
        price_per_minute: 600_000,
        first_increment: 1,
        next_increment: 1,
        connection_fee: 0,
        max_seconds: 100,
        hold: 1_000_000,
        charged: 1_000_000,
        expires_at: new Date(),
        closed_at: new Date(Date.now() - DAY_MS - 60_000),
      })
      .execute();
    expect(await reserve(db, accountId, rate, capped(1_000_000))).toMatchObject({ ok: true, maxSeconds: 100 });
  });

  it('never lets racing calls hold more than the cap together', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await credit(db, accountId, 50_000_000);
    const rate = await createTestRate(db, rateFields);
    const results = await Promise.all(Array.from({ length: 20 }, () => reserve(db, accountId, rate, capped(2_500_000))));
    const held = results.flatMap((result) => (result.ok ? [result.hold] : []));
    expect(held.reduce((sum, hold) => sum + hold, 0)).toBe(2_500_000);
    expect(results.filter((result) => !result.ok).every((result) => !result.ok && result.reason === 'daily-spend-cap')).toBe(true);
    expect((await balanceOf(db, accountId)).reserved).toBe(2_500_000);
  });
});
