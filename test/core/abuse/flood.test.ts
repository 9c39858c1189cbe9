import { describe, expect, it } from 'vitest';
import { FloodGuard } from '../../../core/abuse/flood.ts';

describe('flood guard', () => {
  const limits = { maxRefusals: 3, maxRefusalsPerAddress: 5, windowMs: 10_000, blockMs: 60_000 };

  it('blocks one address and port after maxRefusals within the window; the same address’s other ports are not blocked', () => {
    const guard = new FloodGuard(limits);
    expect(guard.refused('198.51.100.1', 5060, 0)).toBeUndefined();
    expect(guard.refused('198.51.100.1', 5060, 1)).toBeUndefined();
    expect(guard.refused('198.51.100.1', 5060, 2)).toBe('source');
    expect(guard.isBlocked('198.51.100.1', 5060, 3)).toBe(true);
    expect(guard.isBlocked('198.51.100.1', 5062, 3)).toBe(false);
    expect(guard.isBlocked('198.51.100.1', 5060, 60_003)).toBe(false);
  });

  it('blocks the whole address when refusals over many ports reach its higher limit', () => {
    const guard = new FloodGuard(limits);
    for (let port = 1000; port < 1004; port++) expect(guard.refused('198.51.100.2', port, port)).toBeUndefined();
    expect(guard.refused('198.51.100.2', 1004, 1004)).toBe('address');
    expect(guard.isBlocked('198.51.100.2', 40_000, 1005)).toBe(true);
    expect(guard.isBlocked('198.51.100.3', 1000, 1005)).toBe(false);
  });
});
