/**
 * Trunk health as one signaling node sees it: each trunk with an outbound URI is pinged with OPTIONS every interval
 * (signaling/trunk-pinger.ts); `TRUNK_PING_FAILURES` failed pings in a row mark it down, and routing skips it until
 * it answers again (`usableTrunks`). A pure state machine here, kept in memory per node: each node sees the carrier
 * over its own network path, so one node's "down" says nothing of another's, and routing uses its own node's only.
 * Each node's view is also written to the database for display in any process (core/calls/trunk-state.ts).
 */
import type { Trunk } from './trunks.ts';

export type TrunkState = 'unknown' | 'up' | 'down';

/** What one ping came to: answered (any final response), or why it counts as a failure. */
export type PingResult = 'answered' | 'unavailable' | 'timeout' | 'error';

export interface TrunkHealthConfig {
  /** Between pings to each trunk; 0: no pinging, every trunk stays `unknown` and is used. */
  readonly intervalMs: number;
  /** Failed pings in a row that mark a trunk down. */
  readonly failuresBeforeDown: number;
}

export interface TrunkHealth {
  readonly state: TrunkState;
  /** When `state` last changed (or tracking began). */
  readonly since: Date;
  readonly consecutiveFailures: number;
  /** The last ping's final status; null when it had none (timeout, transport error) or none was sent yet. */
  readonly lastStatus: number | null;
  readonly lastResult: PingResult | null;
  readonly lastPingAt: Date | null;
}

/**
 * A ping's outcome from the final status of the OPTIONS (undefined: none came, `why` says what happened instead).
 * RFC 3261 §11: a UA answers OPTIONS as it would an INVITE, so any final response, even 403, 404, 405 or 501 (a
 * carrier that will not tell its capabilities, or wants no OPTIONS from us), proves its SIP stack is there and
 * answering: the carrier is alive. 408 and 503 are not such proof: the SIP stack on our side makes them up itself when
 * the transaction times out or the transport fails (§8.1.3.1), and a carrier answering 503 says it is unavailable
 * (§21.5.4), which is just what INVITE failover (signaling/invite/trunk-call.ts) moves on from too.
 */
export function pingResult(status: number | undefined, why: 'timeout' | 'error' = 'timeout'): PingResult {
  if (status === undefined) return why;
  return status === 408 || status === 503 ? 'unavailable' : 'answered';
}

export function initialHealth(now: Date): TrunkHealth {
  return { state: 'unknown', since: now, consecutiveFailures: 0, lastStatus: null, lastResult: null, lastPingAt: null };
}

/**
 * The next health after a ping: an answer makes the trunk up at once; failures count up, and the Nth in a row makes
 * it down. Below N a trunk keeps its state (one lost datagram does not take a working trunk out of routing).
 * @example afterPing(initialHealth(now), { result: 'timeout' }, { intervalMs: 30_000, failuresBeforeDown: 1 }, now).state // 'down'
 */
export function afterPing(
  health: TrunkHealth,
  ping: { readonly result: PingResult; readonly status?: number },
  config: Pick<TrunkHealthConfig, 'failuresBeforeDown'>,
  now: Date,
): TrunkHealth {
  const answered = ping.result === 'answered';
  const consecutiveFailures = answered ? 0 : health.consecutiveFailures + 1;
  const state: TrunkState = answered ? 'up' : consecutiveFailures >= config.failuresBeforeDown ? 'down' : health.state;
  return {
    state,
    since: state === health.state ? health.since : now,
    consecutiveFailures,
    lastStatus: ping.status ?? null,
    lastResult: ping.result,
    lastPingAt: now,
  };
}

/** The health of every trunk this node pings, by trunk id: written by the pinger, read by routing. */
export class TrunkHealthBoard {
  readonly #health = new Map<number, TrunkHealth>();

  constructor(readonly config: TrunkHealthConfig) {}

  /** A trunk not pinged (yet, or at all): unknown since now. */
  get(trunkId: number, now = new Date()): TrunkHealth {
    return this.#health.get(trunkId) ?? initialHealth(now);
  }

  /** Records one ping; returns the health before and after it (the pinger logs and counts changes). */
  record(trunkId: number, ping: { readonly result: PingResult; readonly status?: number }, now = new Date()): { before: TrunkHealth; after: TrunkHealth } {
    const before = this.get(trunkId, now);
    const after = afterPing(before, ping, this.config, now);
    this.#health.set(trunkId, after);
    return { before, after };
  }

  /** Forgets trunks not among `trunkIds` (deleted, disabled or no longer outbound): they start unknown if they return. */
  retain(trunkIds: ReadonlySet<number>): number[] {
    const dropped = [...this.#health.keys()].filter((id) => !trunkIds.has(id));
    for (const id of dropped) this.#health.delete(id);
    return dropped;
  }

  isDown(trunkId: number): boolean {
    return this.#health.get(trunkId)?.state === 'down';
  }
}

/**
 * The trunks an outbound call tries, in their order, without those this node sees down. When every one is down they
 * are all tried anyway, in order: better a slow call than none. Health is one node's guess from OPTIONS alone (a
 * carrier may filter OPTIONS and still take INVITEs, or come back between pings), and refusing outright would turn a
 * monitoring fault into an outage; a trunk that really is down then costs the call its timeout, as before pinging.
 * @example usableTrunks([a, b], board) // [b] while a is down; [a, b] when both are
 */
export function usableTrunks(trunks: readonly Trunk[], board: Pick<TrunkHealthBoard, 'isDown'> | undefined): readonly Trunk[] {
  if (board === undefined) return trunks;
  const usable = trunks.filter((trunk) => !board.isDown(trunk.id));
  return usable.length > 0 ? usable : trunks;
}
