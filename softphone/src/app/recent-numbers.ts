/**
 * The numbers this account last dialled in this browser (localStorage, under a key per account so another person
 * signing in here does not see them), newest first, for redialling in one click. They never leave the browser;
 * the user can clear them, and deleting the account clears them.
 */
import type { ChoiceStorage } from './device-choice.ts';

/** How many are kept. */
export const RECENT_LIMIT = 5;

/** `list` with `number` moved (or added) to the front, at most {@link RECENT_LIMIT} long. */
export function withRecent(list: readonly string[], number: string, limit = RECENT_LIMIT): string[] {
  return [number, ...list.filter((known) => known !== number)].slice(0, limit);
}

export interface RecentNumbers {
  list(): string[];
  remember(number: string): void;
  clear(): void;
}

export interface RecentStorage extends ChoiceStorage {
  removeItem(key: string): void;
}

export function recentNumbers(storage: RecentStorage, accountId: string): RecentNumbers {
  const key = `dialo.recent-numbers.${accountId}`;
  const list = (): string[] => {
    try {
      const stored: unknown = JSON.parse(storage.getItem(key) ?? '[]');
      return Array.isArray(stored) ? stored.filter((item): item is string => typeof item === 'string') : [];
    } catch {
      // Unreadable (edited by hand): start again rather than fail the dialer.
      return [];
    }
  };
  return {
    list,
    remember: (number) => storage.setItem(key, JSON.stringify(withRecent(list(), number))),
    clear: () => storage.removeItem(key),
  };
}
