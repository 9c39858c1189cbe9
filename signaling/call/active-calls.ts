/**
 * The calls this process is bridging. On shutdown each is hung up from our side (BYE both legs, cause `shutdown`)
 * so it is billed for the time used and closed now, rather than left open for the next start to guess at.
 */
import type { Bridge } from './bridge.ts';

export class ActiveCalls {
  readonly #bridges = new Set<Bridge>();
  #closing = false;

  /** Tracks a bridged call until it ends; one bridged after shutdown began is hung up at once. */
  add(bridge: Bridge): void {
    if (this.#closing) return bridge.hangUp('shutdown');
    this.#bridges.add(bridge);
    void bridge.ended.then(() => this.#bridges.delete(bridge));
  }

  get size(): number {
    return this.#bridges.size;
  }

  /** Hangs up every call, and any bridged from now on. */
  hangUpAll(): void {
    this.#closing = true;
    for (const bridge of this.#bridges) bridge.hangUp('shutdown');
  }
}
