/**
 * What every call's route reads and operators change rarely, cached per signaling node: the enabled trunks, who a
 * hosted number rings, an account's caller ID, a destination's rate and whether a blocked prefix covers it. Any
 * change to trunks, dids, rates or blocked_prefixes bumps the `routing` counter (migration 0035), and the owner's
 * poll empties every cache here within a poll; a rate that a scheduled one replaces is read again at that time.
 */
import type { Kysely } from 'kysely';
import type { Database, Rate } from '../../db/schema.ts';
import { blockingPrefix, type BlockedPrefix } from '../abuse/blocked-prefixes.ts';
import { findRateUntil } from '../billing/rating.ts';
import type { E164 } from '../numbers.ts';
import { pollCaches, VersionedCache } from '../versioned-cache.ts';
import { didOwner, firstDidOf } from './dids.ts';
import { enabledTrunks, type Trunk } from './trunks.ts';

const TOPIC = 'routing';

/**
 * @example
 * const directory = new Directory(db, { pollMs: 1000 });
 * setInterval(() => void directory.poll(Date.now()), 1000);
 * const owner = await directory.didOwner('+442079460958' as E164);
 */
export class Directory {
  readonly #trunks: VersionedCache<'enabled', readonly Trunk[]>;
  readonly #owners: VersionedCache<E164, { readonly owner: string | null }>;
  readonly #callerIds: VersionedCache<string, { readonly e164: string | undefined }>;
  readonly #rates: VersionedCache<E164, { readonly rate: Rate | null; readonly until: number }>;
  readonly #blocks: VersionedCache<E164, { readonly blocked: BlockedPrefix | undefined }>;

  constructor(
    private readonly db: Kysely<Database>,
    options: { readonly pollMs: number; readonly maxEntries?: number },
  ) {
    // Keyed by the numbers callers dial, so bounded: 20,000 entries each (oldest out first), a few MB.
    const shelf = { topic: TOPIC, pollMs: options.pollMs, maxEntries: options.maxEntries ?? 20_000 };
    this.#trunks = new VersionedCache(shelf);
    this.#owners = new VersionedCache(shelf);
    this.#callerIds = new VersionedCache(shelf);
    this.#rates = new VersionedCache(shelf);
    this.#blocks = new VersionedCache(shelf);
  }

  /** One read of the counter for every cache here; a failed read empties them all. */
  poll(now: number): Promise<void> {
    return pollCaches(this.db, TOPIC, [this.#trunks, this.#owners, this.#callerIds, this.#rates, this.#blocks], now);
  }

  /** Enabled trunks, first choice first (ties by id). */
  enabledTrunks(now = Date.now()): Promise<readonly Trunk[]> {
    return this.#trunks.get('enabled', now, () => enabledTrunks(this.db));
  }

  async didOwner(number: E164, now = Date.now()): Promise<string | null> {
    return (await this.#owners.get(number, now, async () => ({ owner: await didOwner(this.db, number) }))).owner;
  }

  async firstDidOf(accountId: string, now = Date.now()): Promise<string | undefined> {
    return (await this.#callerIds.get(accountId, now, async () => ({ e164: await firstDidOf(this.db, accountId) }))).e164;
  }

  async rate(number: E164, at = new Date()): Promise<Rate | null> {
    const now = at.getTime();
    const found = await this.#rates.get(
      number,
      now,
      async () => {
        const { rate, until } = await findRateUntil(this.db, number, at);
        return { rate, until: until?.getTime() ?? Infinity };
      },
      { fresh: (entry) => now < entry.until },
    );
    return found.rate;
  }

  async blockingPrefix(number: E164, now = Date.now()): Promise<BlockedPrefix | undefined> {
    return (await this.#blocks.get(number, now, async () => ({ blocked: await blockingPrefix(this.db, number) }))).blocked;
  }
}
