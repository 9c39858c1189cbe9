// The numbers an account last dialled in this browser: newest first, no repeats, a few only, per account.
import { describe, expect, it } from 'vitest';
import { RECENT_LIMIT, recentNumbers, withRecent, type RecentStorage } from '../../../softphone/src/app/recent-numbers.ts';

function memoryStorage(): RecentStorage & { readonly entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
    removeItem: (key) => void entries.delete(key),
  };
}

describe('recent numbers', () => {
  it('puts the latest first, moves a repeat to the front, and keeps only the last few', () => {
    expect(withRecent(['+1', '+2'], '+3')).toEqual(['+3', '+1', '+2']);
    expect(withRecent(['+1', '+2', '+3'], '+2')).toEqual(['+2', '+1', '+3']);
    let list: string[] = [];
    for (let i = 0; i < RECENT_LIMIT + 3; i++) list = withRecent(list, `+${i}`);
    expect(list).toHaveLength(RECENT_LIMIT);
    expect(list[0]).toBe(`+${RECENT_LIMIT + 2}`);
  });

  it("keeps each account's apart, and clears one account's only", () => {
    const storage = memoryStorage();
    const alice = recentNumbers(storage, 'alice');
    const bob = recentNumbers(storage, 'bob');
    alice.remember('+14155550100');
    bob.remember('*43');
    expect(alice.list()).toEqual(['+14155550100']);
    expect(bob.list()).toEqual(['*43']);
    alice.clear();
    expect(alice.list()).toEqual([]);
    expect([...storage.entries.keys()]).toEqual(['dialo.recent-numbers.bob']);
  });

  it('starts again from an unreadable entry rather than failing', () => {
    const storage = memoryStorage();
    storage.setItem('dialo.recent-numbers.alice', '{not json');
    expect(recentNumbers(storage, 'alice').list()).toEqual([]);
    storage.setItem('dialo.recent-numbers.alice', '["+1", 2, null]');
    expect(recentNumbers(storage, 'alice').list()).toEqual(['+1']);
  });
});
