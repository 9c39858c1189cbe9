/**
 * Cheap refusal of floods from sources we do not know (no trunk, no live registration): each refusal is a strike,
 * and a source that collects too many is refused from memory, before any database lookup, for a while. Counted per
 * address and port first (one device, one scanner socket), and per address only at a higher count, so a scanner
 * rotating ports is caught too without shutting out the registered phones behind the same NAT address early.
 * Trunks and registered devices never strike: their traffic is never limited here.
 */
import { StrikeCounter } from './brute-force.ts';

export interface FloodLimits {
  /** Refusals of one address and port within the window that block it. */
  readonly maxRefusals: number;
  /** Refusals of one address, over all its ports, within the window that block the address. */
  readonly maxRefusalsPerAddress: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

export class FloodGuard {
  readonly #perSource: StrikeCounter;
  readonly #perAddress: StrikeCounter;

  constructor(readonly limits: FloodLimits) {
    this.#perSource = new StrikeCounter({ maxStrikes: limits.maxRefusals, windowMs: limits.windowMs, blockMs: limits.blockMs });
    this.#perAddress = new StrikeCounter({ maxStrikes: limits.maxRefusalsPerAddress, windowMs: limits.windowMs, blockMs: limits.blockMs });
  }

  /**
   * @example
   * if (flood.isBlocked(address, port, Date.now())) return refuseFromMemory();
   */
  isBlocked(address: string, port: number, now: number): boolean {
    return this.#perAddress.isBlocked(address, now) || this.#perSource.isBlocked(`${address}:${port}`, now);
  }

  /** Records one refusal of an unknown source; returns what it blocked, if anything. */
  refused(address: string, port: number, now: number): 'address' | 'source' | undefined {
    const addressBlocked = this.#perAddress.strike(address, now);
    const source = this.#perSource.strike(`${address}:${port}`, now);
    return addressBlocked ? 'address' : source ? 'source' : undefined;
  }

  sweep(now: number): void {
    this.#perSource.sweep(now);
    this.#perAddress.sweep(now);
  }
}
