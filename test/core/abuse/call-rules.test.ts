import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { blockPrefix, unblockPrefix } from '../../../core/abuse/blocked-prefixes.ts';
import { NO_OVERRIDES, setLimitOverrides } from '../../../core/abuse/call-limits.ts';
import { checkCallRules } from '../../../core/abuse/call-rules.ts';
import { liftSuspension, suspendOutbound } from '../../../core/abuse/suspension.ts';
import type { E164 } from '../../../core/numbers.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { createAccount } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const policy = loadConfig({
  BILLING_MAX_CONCURRENT_CALLS: '4',
  ABUSE_CALLS_PER_MINUTE: '3',
  ABUSE_DAILY_SPEND_CAP: '50',
  ABUSE_ALLOWED_COUNTRIES: 'US,GB',
  ABUSE_NEW_ACCOUNT_DAYS: '0',
}).abuse;
const UK = '+442079460958' as E164;

describeEachDialect('abuse rules before credit is held', (database) => {
  const check = (accountId: string, number: E164 = UK) => checkCallRules(database().db, policy, accountId, number, new Date());

  /** The attempt rows the signaling step writes before it checks. */
  async function attempts(accountId: string, count: number) {
    for (let i = 0; i < count; i++) {
      await database()
        .db.insertInto('cdrs')
        .values({ sip_call_id: randomUUID(), direction: 'outbound', account_id: accountId, to_number: UK, phase: 'refused', node_id: 'n' })
        .execute();
    }
  }

  it('passes a good call and hands its concurrency and spend limits to the reservation', async () => {
    const accountId = await createAccount(database().db);
    expect(await check(accountId)).toEqual({ ok: true, reservationLimits: { maxConcurrent: 4, dailySpendCap: 50_000_000 } });
  });

  it('refuses a destination country the account may not call, and numbers with no country', async () => {
    const accountId = await createAccount(database().db);
    expect(await check(accountId, '+4915112345678' as E164)).toMatchObject({ ok: false, refusal: { reason: 'destination-not-allowed', detail: 'country DE' } });
    expect(await check(accountId, '+80012345678' as E164)).toMatchObject({ ok: false, refusal: { reason: 'destination-not-allowed' } });
    await setLimitOverrides(database().db, accountId, { ...NO_OVERRIDES, allowedCountries: ['*'] }, accountId);
    expect((await check(accountId, '+4915112345678' as E164)).ok).toBe(true);
  });

  it('refuses premium-rate numbers and operator-blocked prefixes (the longest match named)', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    expect(await check(accountId, '+19002345678' as E164)).toMatchObject({ ok: false, refusal: { reason: 'destination-blocked', detail: 'premium rate' } });
    const operator = await createAccount(db, 'operator');
    await blockPrefix(db, { prefix: '44207', reason: 'fraud range' }, operator);
    await blockPrefix(db, { prefix: '4420794', reason: 'narrower' }, operator);
    expect(await check(accountId)).toMatchObject({ ok: false, refusal: { reason: 'destination-blocked', detail: 'prefix 4420794' } });
    await unblockPrefix(db, '4420794', operator);
    await unblockPrefix(db, '44207', operator);
    expect((await check(accountId)).ok).toBe(true);
    const allowPremium = { ...policy, blockPremiumRate: false, defaults: { ...policy.defaults, allowedCountries: ['*'] } };
    expect((await checkCallRules(db, allowPremium, accountId, '+19002345678' as E164, new Date())).ok).toBe(true);
  });

  it('refuses the attempt past the calls-per-minute limit, counting the current one', async () => {
    const accountId = await createAccount(database().db);
    await attempts(accountId, 3);
    expect((await check(accountId)).ok).toBe(true);
    await attempts(accountId, 1);
    expect(await check(accountId)).toMatchObject({ ok: false, refusal: { reason: 'calls-per-minute' } });
    await setLimitOverrides(database().db, accountId, { ...NO_OVERRIDES, callsPerMinute: 0 }, accountId);
    expect((await check(accountId)).ok).toBe(true);
  });

  it('lets no more than the per-minute limit through when attempts race (each counted after it is recorded)', async () => {
    const accountId = await createAccount(database().db);
    const verdicts = await Promise.all(
      Array.from({ length: 12 }, async () => {
        await attempts(accountId, 1);
        return check(accountId);
      }),
    );
    // Racing attempts see each other's records: a burst may be refused early, never let past the limit.
    expect(verdicts.filter((verdict) => verdict.ok).length).toBeLessThanOrEqual(3);
    expect(verdicts.filter((verdict) => !verdict.ok).every((verdict) => !verdict.ok && verdict.refusal.reason === 'calls-per-minute')).toBe(true);
  });

  it('refuses a suspended account first, whatever it dials, until an operator lifts it', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const operator = await createAccount(db, 'operator');
    expect(await suspendOutbound(db, TEST_VAULT, { accountId, reason: 'chargeback fraud', operatorId: operator, contact: 'support@dialo.test' })).toBe(true);
    expect(await suspendOutbound(db, TEST_VAULT, { accountId, reason: 'again', operatorId: operator, contact: 'support@dialo.test' })).toBe(false);
    const refused = await check(accountId, '+4915112345678' as E164);
    expect(refused).toMatchObject({ ok: false, refusal: { reason: 'account-suspended' } });
    // The operator's words may name the person: stored (and carried) sealed under the account's key.
    const stored = await db.selectFrom('account_call_limits').select('suspension_reason').where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(stored.suspension_reason).not.toContain('chargeback');
    expect(await TEST_VAULT.open(db, refused.ok ? null : (refused.refusal.detail ?? null))).toBe('chargeback fraud');
    expect(await liftSuspension(db, TEST_VAULT, accountId, operator, 'customer verified')).toBe(true);
    expect(await liftSuspension(db, TEST_VAULT, accountId, operator, 'twice')).toBe(false);
    expect((await check(accountId)).ok).toBe(true);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_account_id', 'detail'])
      .where('subject_account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(audit.map(({ action, actor_account_id }) => ({ action, actor_account_id }))).toEqual([
      { action: 'abuse.outbound_suspended', actor_account_id: operator },
      { action: 'abuse.suspension_lifted', actor_account_id: operator },
    ]);
    expect(
      await TEST_VAULT.openAll(
        db,
        audit.map((event) => String(event.detail.reason)),
      ),
    ).toEqual(['chargeback fraud', 'customer verified']);
    expect(JSON.stringify(audit)).not.toMatch(/chargeback|verified/);
    // Set by hand, no alert mail (the operator already knows); the owner is told, once.
    expect(await db.selectFrom('email_outbox').select('kind').where('account_id', '=', accountId).execute()).toEqual([{ kind: 'outbound_suspended' }]);
  });

  it('gives a new account the tighter limits', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const strict = loadConfig({ ABUSE_NEW_ACCOUNT_DAYS: '7', ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS: '1', ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP: '2' }).abuse;
    expect(await checkCallRules(db, strict, accountId, UK, new Date())).toEqual({
      ok: true,
      reservationLimits: { maxConcurrent: 1, dailySpendCap: 2_000_000 },
    });
  });
});
