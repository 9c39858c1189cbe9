import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { detectAbuse, watchAfterCall } from '../../../core/abuse/abuse-patterns.ts';
import { checkCallRules } from '../../../core/abuse/call-rules.ts';
import { liftSuspension } from '../../../core/abuse/suspension.ts';
import type { E164 } from '../../../core/numbers.ts';
import { TEST_VAULT, mailsOf } from '../../harness/api.ts';
import { createAccount } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const HOUR_MS = 3_600_000;
const policy = loadConfig({
  ABUSE_BURST_WINDOW_SECONDS: '300',
  ABUSE_BURST_SHORT_CALL_SECONDS: '10',
  ABUSE_BURST_DESTINATIONS: '4',
  ABUSE_SPIKE_FACTOR: '5',
  ABUSE_SPIKE_MIN_SPEND: '2',
  ABUSE_SPIKE_BASELINE_DAYS: '7',
  ABUSE_ALERT_EMAIL: 'fraud-desk@dialo.test',
}).abuse;

describeEachDialect('abuse pattern detection', (database) => {
  /** An answered outbound call of `seconds` that ended `agoMs` ago. */
  async function call(accountId: string, to: string, seconds: number, agoMs = 0) {
    const ended = new Date(Date.now() - agoMs);
    await database()
      .db.insertInto('cdrs')
      .values({
        sip_call_id: randomUUID(),
        direction: 'outbound',
        account_id: accountId,
        to_number: to,
        phase: 'ended',
        node_id: 'n',
        answered_at: new Date(ended.getTime() - seconds * 1000),
        ended_at: ended,
        billable_seconds: seconds,
      })
      .execute();
  }

  /** A settled hold that charged `charged` micros, closed `agoMs` ago. */
  async function charge(accountId: string, charged: number, agoMs: number) {
    await database()
      .db.insertInto('reservations')
      .values({
        account_id: accountId,
        status: 'settled',
        price_per_minute: 60_000,
        first_increment: 1,
        next_increment: 1,
        connection_fee: 0,
        max_seconds: 60,
        hold: charged,
        charged,
        expires_at: new Date(),
        closed_at: new Date(Date.now() - agoMs),
      })
      .execute();
  }

  it('suspends after short calls to many numbers, once: audit, one alert mail to the operator and one to the owner', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    for (const n of [1, 2, 3]) await call(accountId, `+4420794609${50 + n}`, 3);
    expect(await watchAfterCall(db, TEST_VAULT, policy, accountId, new Date())).toBeNull();
    await call(accountId, '+442079460954', 5);
    expect(await watchAfterCall(db, TEST_VAULT, policy, accountId, new Date())).toEqual({
      reason: 'burst-of-short-calls',
      detail: { destinations: 4, windowSeconds: 300, shortCallSeconds: 10 },
    });
    // A call that was still up when it tripped ends later: no second alert.
    await call(accountId, '+442079460955', 2);
    expect(await watchAfterCall(db, TEST_VAULT, policy, accountId, new Date())).toBeNull();

    expect(await checkCallRules(db, policy, accountId, '+442079460958' as E164, new Date())).toMatchObject({
      ok: false,
      refusal: { reason: 'account-suspended', detail: 'burst-of-short-calls' },
    });
    const audit = await db.selectFrom('audit_events').select(['action', 'actor_account_id', 'detail']).where('subject_account_id', '=', accountId).execute();
    expect(audit).toEqual([
      {
        action: 'abuse.outbound_suspended',
        actor_account_id: null,
        detail: { reason: 'burst-of-short-calls', destinations: 4, windowSeconds: 300, shortCallSeconds: 10 },
      },
    ]);
    const mail = (await mailsOf(db, accountId)).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(mail.map((sent) => sent.kind)).toEqual(['abuse_alert', 'outbound_suspended']);
    const [alert, notice] = mail;
    expect(alert).toMatchObject({ to_address: 'fraud-desk@dialo.test' });
    expect(alert!.body_text).toContain(accountId);
    expect(alert!.body_text).toContain('destinations: 4');
    // The owner is told why calls are refused and whom to ask, at the address the account has.
    const owner = await db.selectFrom('accounts').select('email').where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(notice).toMatchObject({ to_address: owner.email, subject: expect.stringContaining('paused') });
    expect(notice!.body_text).toContain('burst-of-short-calls');
    expect(notice!.body_text).toContain('fraud-desk@dialo.test');
  });

  it('ignores long calls, calls to the same number, and calls before the window', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    for (const n of [1, 2, 3, 4]) await call(accountId, `+1415555010${n}`, 11);
    for (let i = 0; i < 6; i++) await call(accountId, '+14155550109', 2);
    for (const n of [5, 6, 7]) await call(accountId, `+1415555010${n}`, 2, 301_000);
    expect(await detectAbuse(db, policy, accountId, new Date())).toBeNull();
  });

  it('does not trip again on the calls behind a lifted suspension', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const operator = await createAccount(db, 'operator');
    for (const n of [1, 2, 3, 4]) await call(accountId, `+1415555020${n}`, 1, 5000);
    expect(await watchAfterCall(db, TEST_VAULT, policy, accountId, new Date())).not.toBeNull();
    await liftSuspension(db, TEST_VAULT, accountId, operator, 'known customer, call-back campaign');
    expect(await watchAfterCall(db, TEST_VAULT, policy, accountId, new Date())).toBeNull();
    for (const n of [5, 6, 7, 8]) await call(accountId, `+1415555020${n}`, 1);
    expect(await watchAfterCall(db, TEST_VAULT, policy, accountId, new Date())).toMatchObject({ reason: 'burst-of-short-calls' });
  });

  it("suspends on a spend spike against the account's usual hourly spend, above the floor", async () => {
    const { db } = database();
    // Usually 0.10 an hour (16.80 over the week before): 2.50 in the last hour is over 5x and over 2.00.
    const regular = await createAccount(db);
    await charge(regular, 16_800_000, 2 * HOUR_MS);
    await charge(regular, 2_500_000, 60_000);
    expect(await detectAbuse(db, policy, regular, new Date())).toEqual({
      reason: 'spend-spike',
      detail: { lastHourMicros: 2_500_000, usualHourlyMicros: 100_000, factor: 5 },
    });

    // A heavy user: 1.00 an hour usually, 2.50 now is not 5x.
    const heavy = await createAccount(db);
    await charge(heavy, 168_000_000, 2 * HOUR_MS);
    await charge(heavy, 2_500_000, 60_000);
    expect(await detectAbuse(db, policy, heavy, new Date())).toBeNull();

    // A new account with no history: below the floor is never a spike.
    const fresh = await createAccount(db);
    await charge(fresh, 1_900_000, 60_000);
    expect(await detectAbuse(db, policy, fresh, new Date())).toBeNull();
    await charge(fresh, 200_000, 30_000);
    expect(await detectAbuse(db, policy, fresh, new Date())).toMatchObject({ reason: 'spend-spike' });
  });
});
