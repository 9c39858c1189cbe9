/**
 * Blocks earned by strikes, in memory, per process (like Kamailio's pike/htable pattern): a block only has to hold
 * long enough to make guessing or flooding pointless. Strikes count per address and something narrower first (the
 * SIP username a failed authentication named, the port a refused INVITE came from), so the other phones behind one
 * NAT address keep working while one of them, or a guesser or scanner, is blocked; only many strikes over the whole
 * address block it.
 *   auth failures (signaling/auth/digest-auth.ts)       address + username   SIP_AUTH_MAX_FAILURES[_PER_ADDRESS]
 *   INVITEs from unknown sources (invite/handle-invite) address + port       SIP_FLOOD_MAX_REFUSALS[_PER_ADDRESS]
 * A shared address (a WebSocket proxy's that every browser comes through, core/abuse/web-socket-proxies.ts) counts
 * only the narrower key: blocking the address itself would block every browser for one attacker.
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

export interface AddressBlockLimits {
  /** Strikes against one address and one narrower key (a username, a port) that block that pair. */
  readonly maxStrikes: number;
  /** Strikes against one address, whatever the narrower key (or none), that block the address. */
  readonly maxStrikesPerAddress: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

/**
 * @example
 * const auth = new AddressBlocks({ maxStrikes: 10, maxStrikesPerAddress: 50, windowMs: 60_000, blockMs: 300_000 });
 * auth.strike('198.51.100.7', 'alice', now); // 'key' once alice is blocked there, 'address' once the address is
 * auth.isBlocked('198.51.100.7', 'bob', now); // false until the address itself is blocked
 */
export class AddressBlocks {
  readonly #perKey: StrikeCounter;
  readonly #perAddress: StrikeCounter;

  constructor(readonly limits: AddressBlockLimits) {
    const { maxStrikes, maxStrikesPerAddress, windowMs, blockMs } = limits;
    this.#perKey = new StrikeCounter({ maxStrikes, windowMs, blockMs });
    this.#perAddress = new StrikeCounter({ maxStrikes: maxStrikesPerAddress, windowMs, blockMs });
  }

  /** The whole address: checked before any work. Never for a `shared` address. */
  isAddressBlocked(address: string, now: number, shared = false): boolean {
    return !shared && this.#perAddress.isBlocked(address, now);
  }

  isBlocked(address: string, key: string, now: number, shared = false): boolean {
    return this.isAddressBlocked(address, now, shared) || this.#perKey.isBlocked(`${address} ${key}`, now);
  }

  /** Records a strike (`key` when one is known; a `shared` address counts only that); returns what it blocked, if anything. */
  strike(address: string, key: string | undefined, now: number, shared = false): 'address' | 'key' | undefined {
    const addressBlocked = !shared && this.#perAddress.strike(address, now);
    const keyBlocked = key !== undefined && this.#perKey.strike(`${address} ${key}`, now);
    return addressBlocked ? 'address' : keyBlocked ? 'key' : undefined;
  }

  sweep(now: number): void {
    this.#perKey.sweep(now);
    this.#perAddress.sweep(now);
  }
}
