/**
 * A process-local cache of rows that every node may change, kept honest by a version counter in the database
 * (`cache_versions`, bumped by triggers in the transaction that changes the rows). The owner polls the counter
 * about once a second: a moved counter empties the cache, so a change anywhere is seen within one poll. A cache
 * whose last poll is too old (the database is unreachable, or the poller stalled) serves nothing and reads through.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface VersionedCacheOptions {
  readonly topic: string;
  /** How often the owner calls {@link VersionedCache.poll}; entries are trusted for twice this after a poll. */
  readonly pollMs: number;
  /** Entries kept; past it the oldest go first. */
  readonly maxEntries: number;
}

export interface CacheRules<V> {
  readonly keep?: (value: V) => boolean;
  readonly fresh?: (value: V) => boolean;
}

/** One read of `topic`'s counter for every cache of that topic; a failed read empties them all and rethrows. */
export async function pollCaches(
  db: Kysely<Database>,
  topic: string,
  caches: readonly Pick<VersionedCache<never, never>, 'observe' | 'distrust'>[],
  now: number,
): Promise<void> {
  let version: number;
  try {
    const row = await db.selectFrom('cache_versions').select('version').where('topic', '=', topic).executeTakeFirst();
    version = row?.version ?? 0;
  } catch (error) {
    for (const cache of caches) cache.distrust();
    throw error;
  }
  for (const cache of caches) cache.observe(version, now);
}

/**
 * @example
 * const cache = new VersionedCache<string, Row>({ topic: 'sip-credentials', pollMs: 1000, maxEntries: 100_000 });
 * setInterval(() => void cache.poll(db, Date.now()), 1000);
 * const row = await cache.get(username, Date.now(), () => loadRow(db, username));
 */
export class VersionedCache<K, V> {
  readonly #entries = new Map<K, V>();
  #version: number | undefined;
  #trustedUntil = -Infinity;
  /** Moves on every clear: a load that began before a clear must not store what it read. */
  #generation = 0;

  constructor(private readonly options: VersionedCacheOptions) {}

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached value, or `load()`'s. `keep`: whether to store what `load` returned (not "unknown user", which an
   * attacker could vary without end). `fresh`: whether a stored value still holds, for one that goes out of date by
   * itself (a rate a scheduled one replaces).
   */
  async get(key: K, now: number, load: () => Promise<V>, rules: CacheRules<V> = {}): Promise<V> {
    const trusted = now <= this.#trustedUntil;
    if (trusted) {
      const hit = this.#entries.get(key);
      if (hit !== undefined && (rules.fresh?.(hit) ?? true)) return hit;
    }
    const generation = this.#generation;
    const value = await load();
    if (trusted && generation === this.#generation && (rules.keep?.(value) ?? true)) {
      if (this.#entries.size >= this.options.maxEntries) this.#entries.delete(this.#entries.keys().next().value as K);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Reads the topic's counter; a change (or a failed read) empties the cache. */
  poll(db: Kysely<Database>, now: number): Promise<void> {
    return pollCaches(db, this.options.topic, [this], now);
  }

  /** The topic's counter as read at `now` ({@link pollCaches}). */
  observe(version: number, now: number): void {
    if (version !== this.#version) {
      this.#clear();
      this.#version = version;
    }
    this.#trustedUntil = now + 2 * this.options.pollMs;
  }

  /** The counter could not be read: serve nothing until it is. */
  distrust(): void {
    this.#clear();
    this.#trustedUntil = -Infinity;
  }

  #clear(): void {
    this.#entries.clear();
    this.#generation++;
  }
}
