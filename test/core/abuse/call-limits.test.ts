import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { effectiveLimits, isNewAccount, NO_OVERRIDES } from '../../../core/abuse/call-limits.ts';

const now = new Date('2026-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
const policy = loadConfig({
  BILLING_MAX_CONCURRENT_CALLS: '5',
  ABUSE_CALLS_PER_MINUTE: '30',
  ABUSE_DAILY_SPEND_CAP: '100',
  ABUSE_ALLOWED_COUNTRIES: 'US,GB',
  ABUSE_NEW_ACCOUNT_DAYS: '7',
  ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS: '1',
  ABUSE_NEW_ACCOUNT_CALLS_PER_MINUTE: '4',
  ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP: '5',
}).abuse;

describe('effective call limits', () => {
  it('gives an established, verified account the operator defaults', () => {
    expect(effectiveLimits(policy, { status: 'active', created_at: daysAgo(30) }, NO_OVERRIDES, now)).toEqual({
      maxConcurrentCalls: 5,
      callsPerMinute: 30,
      dailySpendCap: 100_000_000,
      allowedCountries: ['US', 'GB'],
    });
  });

  it('gives a new account (unverified, or younger than the period) the tighter limits, same countries', () => {
    const tight = { maxConcurrentCalls: 1, callsPerMinute: 4, dailySpendCap: 5_000_000, allowedCountries: ['US', 'GB'] };
    expect(effectiveLimits(policy, { status: 'active', created_at: daysAgo(2) }, NO_OVERRIDES, now)).toEqual(tight);
    expect(effectiveLimits(policy, { status: 'pending', created_at: daysAgo(300) }, NO_OVERRIDES, now)).toEqual(tight);
    expect(isNewAccount(policy, { status: 'active', created_at: daysAgo(7.01) }, now)).toBe(false);
    expect(isNewAccount({ newAccount: { ...policy.newAccount, days: 0 } }, { status: 'active', created_at: now }, now)).toBe(false);
  });

  it('never lets the new-account limits be looser than the defaults; 0 (no limit) yields to any limit', () => {
    const loose = loadConfig({
      ABUSE_CALLS_PER_MINUTE: '0',
      ABUSE_DAILY_SPEND_CAP: '3',
      ABUSE_NEW_ACCOUNT_CALLS_PER_MINUTE: '6',
      ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP: '0',
    }).abuse;
    const limits = effectiveLimits(loose, { status: 'pending', created_at: now }, NO_OVERRIDES, now);
    expect([limits.callsPerMinute, limits.dailySpendCap]).toEqual([6, 3_000_000]);
  });

  it('lets the operator override each limit per account, looser or tighter, new or not', () => {
    const overrides = { maxConcurrentCalls: 20, callsPerMinute: 0, dailySpendCap: 1_000_000, allowedCountries: ['*'] };
    const fresh = effectiveLimits(policy, { status: 'pending', created_at: now }, overrides, now);
    expect(fresh).toEqual({ maxConcurrentCalls: 20, callsPerMinute: 0, dailySpendCap: 1_000_000, allowedCountries: ['*'] });
    const partly = effectiveLimits(policy, { status: 'active', created_at: daysAgo(30) }, { ...NO_OVERRIDES, callsPerMinute: 2 }, now);
    expect(partly).toMatchObject({ maxConcurrentCalls: 5, callsPerMinute: 2, dailySpendCap: 100_000_000 });
  });
});
