/**
 * Failed-authentication tracking (like Kamailio's pike/htable pattern), in memory, per process: a block only has
 * to hold long enough to make guessing pointless. Failures count per address and SIP username first, so the users
 * behind one NAT address keep working while one of them (or a guesser naming them) is blocked; only failures
 * across many usernames block the whole address.
 */
export interface StrikeLimits {
  readonly maxStrikes: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

interface KeyState {
  strikes: number[];
  blockedUntil: number;
}

/**
 * `maxStrikes` strikes against one key within `windowMs` block it for `blockMs`.
 * @example
 * const strikes = new StrikeCounter({ maxStrikes: 3, windowMs: 10_000, blockMs: 60_000 });
 * strikes.strike('10.0.0.1', now); // true on the strike that starts a block
 * strikes.isBlocked('10.0.0.1', now);
 */
export class StrikeCounter {
  readonly #keys = new Map<string, KeyState>();

  constructor(readonly limits: StrikeLimits) {}

  isBlocked(key: string, now: number): boolean {
    const state = this.#keys.get(key);
    if (state === undefined) return false;
    if (state.blockedUntil > now) return true;
    if (state.blockedUntil !== 0) this.#keys.delete(key);
    return false;
  }

  /** Records a strike; returns true when this strike starts a block. */
  strike(key: string, now: number): boolean {
    const state = this.#keys.get(key) ?? { strikes: [], blockedUntil: 0 };
    state.strikes = state.strikes.filter((at) => at > now - this.limits.windowMs);
    state.strikes.push(now);
    this.#keys.set(key, state);
    if (state.strikes.length < this.limits.maxStrikes) return false;
    state.blockedUntil = now + this.limits.blockMs;
    state.strikes = [];
    return true;
  }

  /** Drops state that no longer matters, so memory stays bounded under a flood of keys. */
  sweep(now: number): void {
    for (const [key, state] of this.#keys) {
      if (state.blockedUntil <= now && state.strikes.every((at) => at <= now - this.limits.windowMs)) this.#keys.delete(key);
    }
  }
}

export interface BruteForceLimits {
  /** Failures from one address naming one username. */
  readonly maxFailures: number;
  /** Failures from one address whatever the username (and those naming none). */
  readonly maxFailuresPerAddress: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

export class BruteForceGuard {
  readonly #perUser: StrikeCounter;
  readonly #perAddress: StrikeCounter;

  constructor(readonly limits: BruteForceLimits) {
    this.#perUser = new StrikeCounter({ maxStrikes: limits.maxFailures, windowMs: limits.windowMs, blockMs: limits.blockMs });
    this.#perAddress = new StrikeCounter({ maxStrikes: limits.maxFailuresPerAddress, windowMs: limits.windowMs, blockMs: limits.blockMs });
  }

  /** The whole address: checked before any work, credentials or not. */
  isAddressBlocked(address: string, now: number): boolean {
    return this.#perAddress.isBlocked(address, now);
  }

  /** One username from this address: checked once the credentials name it. */
  isBlocked(address: string, username: string, now: number): boolean {
    return this.isAddressBlocked(address, now) || this.#perUser.isBlocked(`${address} ${username}`, now);
  }

  /** Records a failure (`username` when the credentials named one); returns what this failure blocked, if anything. */
  recordFailure(address: string, username: string | undefined, now: number): 'address' | 'username' | undefined {
    const addressBlocked = this.#perAddress.strike(address, now);
    const userBlocked = username !== undefined && this.#perUser.strike(`${address} ${username}`, now);
    return addressBlocked ? 'address' : userBlocked ? 'username' : undefined;
  }

  sweep(now: number): void {
    this.#perUser.sweep(now);
    this.#perAddress.sweep(now);
  }
}
