/**
 * Attempt counters (sign-up, login, reset, re-authentication, address changes) keyed by a keyed hash of the account's address
 * or id. They hold counts only and go when their window ends; erasure removes them at once, while the address
 * can still be read (this source runs before the account row is emptied).
 */
import { ACCOUNT_COUNTERS, ADDRESS_COUNTERS, clearCounters, counterKey } from '../../accounts/throttle.ts';
import type { AccountDataSource } from '../data-source.ts';

export const rateLimitCountersSource: AccountDataSource = {
  table: 'rate_limit_counters',
  holds: 'counts of recent attempts to sign up, sign in or reset the password with your address (for at most an hour)',
  // Keyed by an HMAC of the address, not by account: the rows cannot be found without the key, and tell only counts.
  export: async () => [],
  async erase(db, accountId, tools) {
    const account = await db.selectFrom('accounts').select('email').where('id', '=', accountId).executeTakeFirst();
    const email = await tools.vault.open(db, account?.email ?? null);
    const keys = ACCOUNT_COUNTERS.map((kind) => counterKey(tools, kind, accountId));
    if (email !== null) keys.push(...ADDRESS_COUNTERS.map((kind) => counterKey(tools, kind, email)));
    return clearCounters(db, keys);
  },
};
