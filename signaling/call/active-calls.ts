/**
 * The calls this process is bridging, with the account paying for each outbound one. On shutdown each is hung up
 * from our side (BYE both legs, cause `shutdown`) so it is billed for the time used and closed now, rather than
 * left open for the next start to guess at; an account whose outbound calling is suspended loses its calls too, and
 * an operator can hang up any one of them.
 */
import type { Bridge } from './bridge.ts';

export class ActiveCalls {
  /** Each bridge, with the account it bills (outbound calls only). */
  readonly #bridges = new Map<Bridge, string | null>();
  /** Each bridge's SIP Call-ID: what the heartbeat marks alive, so a call whose end failed to be recorded is not. */
  readonly #callIds = new Map<Bridge, string>();
  #closing = false;

  /** @param onChange told the number of calls up after each change (the `dialo_calls_active` gauge). */
  constructor(private readonly onChange: (size: number) => void = () => undefined) {}

  /** Tracks a bridged call until it ends; one bridged after shutdown began is hung up at once. */
  add(bridge: Bridge, callId: string, payingAccountId: string | null = null): void {
    if (this.#closing) return bridge.hangUp('shutdown');
    this.#bridges.set(bridge, payingAccountId);
    this.#callIds.set(bridge, callId);
    this.onChange(this.#bridges.size);
    void bridge.ended.then(() => {
      this.#bridges.delete(bridge);
      this.#callIds.delete(bridge);
      this.onChange(this.#bridges.size);
    });
  }

  get size(): number {
    return this.#bridges.size;
  }

  /** The SIP Call-IDs of the calls up now. */
  callIds(): string[] {
    return [...this.#callIds.values()];
  }

  /** The accounts paying for the outbound calls up now. */
  payingAccounts(): Set<string> {
    return new Set([...this.#bridges.values()].filter((account): account is string => account !== null));
  }

  /** Hangs up the outbound calls these accounts pay for; returns how many. */
  hangUpPaidBy(accounts: ReadonlySet<string>, cause: 'suspended'): number {
    let count = 0;
    for (const [bridge, account] of this.#bridges) {
      if (account !== null && accounts.has(account)) {
        bridge.hangUp(cause);
        count += 1;
      }
    }
    return count;
  }

  /** Hangs up the calls with these SIP Call-IDs (an operator asked: core/calls/hang-up-request.ts); returns how many. */
  hangUpCalls(callIds: ReadonlySet<string>, cause: 'operator'): number {
    let count = 0;
    for (const [bridge, callId] of this.#callIds) {
      if (callIds.has(callId)) {
        bridge.hangUp(cause);
        count += 1;
      }
    }
    return count;
  }

  /**
   * Ends every call up now (they are billed to this moment), leaving later ones be: the drachtio connection that
   * carried them dropped, so neither leg can be reached through it. Returns how many.
   */
  endAll(cause: 'signaling-lost'): number {
    for (const bridge of this.#bridges.keys()) bridge.hangUp(cause);
    return this.#bridges.size;
  }

  /** Hangs up every call, and any bridged from now on. */
  hangUpAll(): void {
    this.#closing = true;
    for (const bridge of this.#bridges.keys()) bridge.hangUp('shutdown');
  }
}
