import { describe, expect, it } from 'vitest';
import { BruteForceGuard, StrikeCounter } from '../../../core/abuse/brute-force.ts';

describe('strike counter', () => {
  const limits = { maxStrikes: 3, windowMs: 10_000, blockMs: 60_000 };

  it('blocks a key after maxStrikes within the window, until the block ends', () => {
    const strikes = new StrikeCounter(limits);
    expect(strikes.strike('10.0.0.1', 0)).toBe(false);
    expect(strikes.strike('10.0.0.1', 1000)).toBe(false);
    expect(strikes.isBlocked('10.0.0.1', 1500)).toBe(false);
    expect(strikes.strike('10.0.0.1', 2000)).toBe(true);
    expect(strikes.isBlocked('10.0.0.1', 2001)).toBe(true);
    expect(strikes.isBlocked('10.0.0.2', 2001)).toBe(false);
    expect(strikes.isBlocked('10.0.0.1', 62_001)).toBe(false);
  });

  it('forgets strikes older than the window', () => {
    const strikes = new StrikeCounter(limits);
    strikes.strike('a', 0);
    strikes.strike('a', 1000);
    expect(strikes.strike('a', 20_000)).toBe(false);
    expect(strikes.isBlocked('a', 20_001)).toBe(false);
  });
});

describe('brute-force guard', () => {
  const limits = { maxFailures: 3, maxFailuresPerAddress: 5, windowMs: 10_000, blockMs: 60_000 };

  it('blocks one username at an address first; the address’s other users still get through', () => {
    const guard = new BruteForceGuard(limits);
    expect(guard.recordFailure('10.0.0.1', 'alice', 0)).toBeUndefined();
    expect(guard.recordFailure('10.0.0.1', 'alice', 1)).toBeUndefined();
    expect(guard.recordFailure('10.0.0.1', 'alice', 2)).toBe('username');
    expect(guard.isBlocked('10.0.0.1', 'alice', 3)).toBe(true);
    expect(guard.isBlocked('10.0.0.1', 'bob', 3)).toBe(false);
    expect(guard.isAddressBlocked('10.0.0.1', 3)).toBe(false);
    expect(guard.isBlocked('10.0.0.2', 'alice', 3)).toBe(false);
  });

  it('blocks the whole address once failures across usernames (or naming none) reach its own limit', () => {
    const guard = new BruteForceGuard(limits);
    for (const [i, username] of ['u1', 'u2', 'u3', undefined].entries()) expect(guard.recordFailure('10.0.0.1', username, i)).toBeUndefined();
    expect(guard.recordFailure('10.0.0.1', 'u5', 4)).toBe('address');
    expect(guard.isAddressBlocked('10.0.0.1', 5)).toBe(true);
    expect(guard.isBlocked('10.0.0.1', 'anyone', 5)).toBe(true);
    expect(guard.isAddressBlocked('10.0.0.1', 60_005)).toBe(false);
  });
});
