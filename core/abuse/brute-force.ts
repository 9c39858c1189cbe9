/**
 * Failed-authentication tracking per source (like Kamailio's pike/htable pattern): after `maxFailures` failures
 * within `windowMs`, the source is blocked for `blockMs` and answered without any work. In memory, per process:
 * a block only has to hold long enough to make guessing pointless.
 */
export interface BruteForceLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

interface SourceState {
  failures: number[];
  blockedUntil: number;
}

export class BruteForceGuard {
  readonly #sources = new Map<string, SourceState>();

  constructor(readonly limits: BruteForceLimits) {}

  isBlocked(source: string, now: number): boolean {
    const state = this.#sources.get(source);
    if (state === undefined) return false;
    if (state.blockedUntil > now) return true;
    if (state.blockedUntil !== 0) this.#sources.delete(source);
    return false;
  }

  /** Records a failure; returns true when this failure starts a block. */
  recordFailure(source: string, now: number): boolean {
    const state = this.#sources.get(source) ?? { failures: [], blockedUntil: 0 };
    state.failures = state.failures.filter((at) => at > now - this.limits.windowMs);
    state.failures.push(now);
    this.#sources.set(source, state);
    if (state.failures.length < this.limits.maxFailures) return false;
    state.blockedUntil = now + this.limits.blockMs;
    state.failures = [];
    return true;
  }

  /** Drops state that no longer matters, so memory stays bounded under a flood of sources. */
  sweep(now: number): void {
    for (const [source, state] of this.#sources) {
      if (state.blockedUntil <= now && state.failures.every((at) => at <= now - this.limits.windowMs)) this.#sources.delete(source);
    }
  }
}
