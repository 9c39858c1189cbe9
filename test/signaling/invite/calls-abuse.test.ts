// Abuse rules on calls through real drachtio-server: sipp as the caller (a registered SIP phone) and the carrier.
// Each rule trips with 403 + its X-Reason (checked by sipp) + a refused CDR, and nothing is charged.
import { describe, expect, it, vi } from 'vitest';
import { blockPrefix } from '../../../core/abuse/blocked-prefixes.ts';
import { NO_OVERRIDES, setLimitOverrides } from '../../../core/abuse/call-limits.ts';
import { liftSuspension, suspendOutbound } from '../../../core/abuse/suspension.ts';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { TEST_VAULT, mailsOf } from '../../harness/api.ts';
import { createAccount } from '../../harness/billing.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, onceClosed, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { runSipp, sippBinary, startSipp } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;
const REFUSED = 'uac-call-refused.xml';

describe.skipIf(missing)('abuse rules on calls over real drachtio-server', () => {
  let operator: string;
  const suite = useCallStack(
    {
      BILLING_MAX_CONCURRENT_CALLS: '4',
      // A hold covers at most 2 minutes (1.20 at 0.60), so one call leaves credit for the next.
      BILLING_MAX_CALL_SECONDS: '120',
      ABUSE_CALLS_PER_MINUTE: '3',
      ABUSE_DAILY_SPEND_CAP: '50',
      ABUSE_ALLOWED_COUNTRIES: 'US,GB,JM',
      ABUSE_NEW_ACCOUNT_DAYS: '7',
      ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS: '1',
      ABUSE_BURST_DESTINATIONS: '3',
      ABUSE_BURST_SHORT_CALL_SECONDS: '5',
      ABUSE_SPIKE_FACTOR: '10',
      ABUSE_SPIKE_MIN_SPEND: '3',
      ABUSE_ALERT_EMAIL: 'fraud-desk@dialo.test',
      CALL_HEARTBEAT_SECONDS: '1',
    },
    async (db) => {
      const rate = (prefix: string, pricePerMinute: string, increment: number) =>
        createRate(db, toRateInput({ prefix, pricePerMinute, firstIncrement: increment, nextIncrement: increment, effectiveFrom: '2000-01-01T00:00:00Z' }));
      // Every destination below has a rate: a refusal is the rule's, not a missing price.
      await rate('1', '0.60', 60);
      await rate('44', '6.00', 1);
      await rate('49', '0.60', 60);
      await rate('1876', '60.00', 1);
      operator = await createAccount(db, 'operator');
    },
  );

  const { caller, carrier, lastCdr, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  /** Places a call that must be refused with `reason`, and checks it was recorded and cost nothing. */
  async function expectRefused(who: { accountId: string; fields(dialled: string): string }, dialled: string, reason: string) {
    const before = await balanceOf(suite.database.db, who.accountId);
    const call = await runSipp({ scenario: REFUSED, target: suite.stack.target, fields: [who.fields(dialled)], keys: { expect: '403', reason } });
    expect(call.code, call.log).toBe(0);
    const cdr = await lastCdr(who.accountId);
    expect(cdr).toMatchObject({ direction: 'outbound', phase: 'refused', refusal_reason: reason, to_number: dialled, cost: null });
    expect(await suite.database.db.selectFrom('reservations').select('id').where('cdr_id', '=', cdr.id).execute()).toEqual([]);
    expect(await balanceOf(suite.database.db, who.accountId)).toEqual(before);
    expect(await suite.stack.metrics.registry.getSingleMetricAsString('dialo_call_refusals_total')).toContain(`reason="${reason}"`);
  }

  async function answeredCall(who: { accountId: string; fields(dialled: string, talkMs?: number): string }, dialled: string, talkMs = 0) {
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [who.fields(dialled, talkMs)] });
    expect(call.code, call.log).toBe(0);
    return finishedCdr(who.accountId);
  }

  it('destination-not-allowed: a country outside the allowed list', async () => {
    const kim = await caller('kim', UNIT);
    await expectRefused(kim, '+4915112345678', 'destination-not-allowed');
  });

  it('destination-blocked: a prefix the operator blocked, and a premium-rate number', async () => {
    const lou = await caller('lou', UNIT);
    await blockPrefix(suite.database.db, { prefix: '44207', reason: 'known fraud range' }, operator);
    await suite.stack.signaling.refreshCaches();
    await expectRefused(lou, '+442079460958', 'destination-blocked');
    await expectRefused(lou, '+19002345678', 'destination-blocked');
  });

  it('calls-per-minute: the fourth attempt within a minute', async () => {
    const max = await caller('max', 10 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml', { calls: 3 });
    for (let i = 0; i < 3; i++) expect(await answeredCall(max, '+14155550110')).toMatchObject({ phase: 'ended', cost: 0.6 * UNIT });
    expect((await peer.done).code).toBe(0);
    await expectRefused(max, '+14155550110', 'calls-per-minute');
    expect((await balanceOf(suite.database.db, max.accountId)).balance).toBe(10 * UNIT - 3 * 0.6 * UNIT);
  });

  it('daily-spend-cap: the call the cap no longer covers (an operator-set cap of 1.00)', async () => {
    const ned = await caller('ned', 10 * UNIT);
    await setLimitOverrides(suite.database.db, ned.accountId, { ...NO_OVERRIDES, dailySpendCap: UNIT }, operator);
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    expect(await answeredCall(ned, '+14155550111')).toMatchObject({ phase: 'ended', cost: 0.6 * UNIT });
    expect((await peer.done).code).toBe(0);
    // 0.40 left of the cap does not buy the first 60 s increment at 0.60.
    await expectRefused(ned, '+14155550111', 'daily-spend-cap');
    expect((await balanceOf(suite.database.db, ned.accountId)).balance).toBe(10 * UNIT - 0.6 * UNIT);
  });

  it('too-many-calls: a new account gets one call at a time, an established one more', async () => {
    const olga = await caller('olga', 10 * UNIT);
    // Four attempts in this test: only the concurrency limits are under test.
    await setLimitOverrides(suite.database.db, olga.accountId, { ...NO_OVERRIDES, callsPerMinute: 0 }, operator);
    const peer = await carrier('carrier-a', 'uas-answer.xml', { calls: 3 });
    const inProgress = (accountId: string) =>
      vi.waitFor(
        async () => {
          if ((await lastCdr(accountId)).phase !== 'answered') throw new Error('not answered yet');
        },
        { timeout: 5000 },
      );
    const first = runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [olga.fields('+14155550112', 3000)] });
    await inProgress(olga.accountId);
    await expectRefused(olga, '+14155550113', 'too-many-calls');
    expect((await first).code).toBe(0);

    // The same account a month old: the default of 4 applies.
    await suite.database.db
      .updateTable('accounts')
      .set({ created_at: new Date(Date.now() - 30 * 86_400_000) } as never)
      .where('id', '=', olga.accountId)
      .execute();
    const long = runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [olga.fields('+14155550112', 3000)] });
    await inProgress(olga.accountId);
    expect(await answeredCall(olga, '+14155550112')).toMatchObject({ phase: 'ended' });
    expect((await long).code).toBe(0);
    expect((await peer.done).code).toBe(0);
  });

  it('a burst of short calls to many numbers suspends outbound calling and alerts the operator; a lift gives it back', async () => {
    const pat = await caller('pat', 10 * UNIT);
    await setLimitOverrides(suite.database.db, pat.accountId, { ...NO_OVERRIDES, callsPerMinute: 0 }, operator);
    const peer = await carrier('carrier-a', 'uas-answer.xml', { calls: 4 });
    for (const n of [21, 22, 23]) await answeredCall(pat, `+141555501${n}`);
    const outbox = async () => (await mailsOf(suite.database.db, pat.accountId)).filter((mail) => mail.kind === 'abuse_alert');
    // Detection runs once the last call is charged.
    await vi.waitFor(async () => expect(await outbox()).toHaveLength(1), { timeout: 5000 });
    expect((await outbox())[0]).toMatchObject({ to_address: 'fraud-desk@dialo.test' });
    const audit = await suite.database.db
      .selectFrom('audit_events')
      .select(['action', 'actor_account_id', 'detail'])
      .where('subject_account_id', '=', pat.accountId)
      .where('action', '=', 'abuse.outbound_suspended')
      .execute();
    expect(audit).toEqual([
      {
        action: 'abuse.outbound_suspended',
        actor_account_id: null,
        detail: { reason: 'burst-of-short-calls', destinations: 3, windowSeconds: 600, shortCallSeconds: 5 },
      },
    ]);
    expect(await suite.stack.metrics.registry.getSingleMetricAsString('dialo_abuse_suspensions_total')).toContain('reason="burst-of-short-calls"');

    await expectRefused(pat, '+14155550124', 'account-suspended');
    await liftSuspension(suite.database.db, TEST_VAULT, pat.accountId, operator, 'customer called in, verified');
    expect(await answeredCall(pat, '+14155550124')).toMatchObject({ phase: 'ended' });
    expect((await peer.done).code).toBe(0);
    expect(await outbox()).toHaveLength(1);
  });

  it('a spend spike (3.00 in a minute on an account that never spent) suspends outbound calling', async () => {
    const quinn = await caller('quinn', 20 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    const cdr = await answeredCall(quinn, '+18762345678', 3000);
    expect(cdr.cost).toBeGreaterThanOrEqual(3 * UNIT);
    expect((await peer.done).code).toBe(0);
    await vi.waitFor(
      async () => {
        const row = await suite.database.db
          .selectFrom('account_call_limits')
          .select('suspension_reason')
          .where('account_id', '=', quinn.accountId)
          .executeTakeFirst();
        expect(row?.suspension_reason).toBe('spend-spike');
      },
      { timeout: 5000 },
    );
    await expectRefused(quinn, '+18762345678', 'account-suspended');
  });

  it('an operator suspending an account ends its outbound call in progress, billed for the time used', async () => {
    const vera = await caller('vera', 10 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml');
    // This caller stays on the line until our side sends BYE (UK: 6.00 a minute by the second).
    const call = await startSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: suite.stack.target,
      fields: [vera.fields('+442081234567')],
      timeoutSeconds: 30,
    });
    await vi.waitFor(async () => expect(await lastCdr(vera.accountId)).toMatchObject({ phase: 'answered', refusal_reason: null }), {
      timeout: 10_000,
      interval: 100,
    });

    await suspendOutbound(suite.database.db, TEST_VAULT, {
      accountId: vera.accountId,
      reason: 'fraud report',
      operatorId: operator,
      contact: 'support@dialo.test',
    });

    expect((await call.done).code).toBe(0);
    expect((await peer.done).code).toBe(0);
    const cdr = await onceClosed(() => lastCdr(vera.accountId));
    expect(cdr).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'suspended' });
    expect(cdr.cost).toBe(cdr.billable_seconds! * (UNIT / 10));
    expect(await balanceOf(suite.database.db, vera.accountId)).toEqual({ balance: 10 * UNIT - cdr.cost!, reserved: 0, available: 10 * UNIT - cdr.cost! });
  });
});
