import { describe, expect, it } from 'vitest';
import { BruteForceGuard } from '../../../core/abuse/brute-force.ts';

describe('brute-force guard', () => {
  const limits = { maxFailures: 3, windowMs: 10_000, blockMs: 60_000 };

  it('blocks a source after maxFailures within the window, until the block ends', () => {
    const guard = new BruteForceGuard(limits);
    expect(guard.recordFailure('10.0.0.1', 0)).toBe(false);
    expect(guard.recordFailure('10.0.0.1', 1000)).toBe(false);
    expect(guard.isBlocked('10.0.0.1', 1500)).toBe(false);
    expect(guard.recordFailure('10.0.0.1', 2000)).toBe(true);
    expect(guard.isBlocked('10.0.0.1', 2001)).toBe(true);
    expect(guard.isBlocked('10.0.0.2', 2001)).toBe(false);
    expect(guard.isBlocked('10.0.0.1', 62_001)).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const guard = new BruteForceGuard(limits);
    guard.recordFailure('a', 0);
    guard.recordFailure('a', 1000);
    expect(guard.recordFailure('a', 20_000)).toBe(false);
    expect(guard.isBlocked('a', 20_001)).toBe(false);
  });
});
