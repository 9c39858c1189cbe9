/**
 * Trunk health at the edge: every TRUNK_PING_INTERVAL_MS an OPTIONS (RFC 3261 §11) goes through drachtio-server to
 * each enabled trunk with an outbound URI, and what came back is recorded on the node's board
 * (core/calls/trunk-health.ts decides what it means), counted and shown in dialo_trunk_up, and written to the
 * database as this node's view when it changed (core/calls/trunk-state.ts), for the admin API in any process. Where sip-probe.ts asks
 * whether our own drachtio-server answers, this asks whether each carrier does, over this node's network path.
 */
import type Srf from 'drachtio-srf';
import type { Kysely } from 'kysely';
import { pingResult, type PingResult, type TrunkHealth, type TrunkHealthBoard } from '../core/calls/trunk-health.ts';
import { forgetTrunkHealth, healthWriteDue, writeTrunkHealth } from '../core/calls/trunk-state.ts';
import { formatTrunkUri, parseTrunkUri } from '../core/calls/trunk-uri.ts';
import type { Trunk } from '../core/calls/trunks.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

/** An answer later than this (or than the interval, when shorter) counts as none: a carrier that slow is no help. */
const MAX_PING_TIMEOUT_MS = 5000;

export interface TrunkPingerDeps {
  readonly srf: Srf;
  readonly board: TrunkHealthBoard;
  readonly db: Kysely<Database>;
  /** Whose view the written health is. */
  readonly nodeId: string;
  /** The enabled trunks, first choice first (the node's directory); those with an outbound URI are pinged. */
  readonly trunks: () => Promise<readonly Trunk[]>;
  /** Whether the drachtio connection is up: without it no ping can be sent, and that says nothing of the carriers. */
  readonly isUp: () => boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

type RawRequest = { on(event: 'response', listener: (res: { status: number }) => void): void };
type RawRequestApi = (opts: object, callback: (error: Error | null, req: RawRequest) => void) => void;

class PingTimeout extends Error {}

/**
 * Resolves with the final status of one out-of-dialog OPTIONS to `uri`; rejects with PingTimeout when none came
 * within `timeoutMs` (the transaction itself runs on to its own timer F, 32 s, and its 408 is then ignored).
 */
function sendOptions(srf: Srf, uri: string, timeoutMs: number): Promise<number> {
  // drachtio-srf has Srf#request at runtime (lib/srf.js); its typings leave it out.
  const request = (srf as unknown as { request: RawRequestApi }).request;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PingTimeout(`no final response within ${timeoutMs} ms`)), timeoutMs);
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    request.call(srf, { uri, method: 'OPTIONS', headers: { 'Max-Forwards': '70' } }, (error, req) => {
      if (error) return settle(() => reject(error));
      req.on('response', (res) => {
        if (res.status >= 200) settle(() => resolve(res.status));
      });
    });
  });
}

/** Pings every outbound trunk once per interval, one ping in flight per trunk; `stop` ends it. Interval 0: does nothing. */
export function startTrunkPinger(deps: TrunkPingerDeps): { stop(): void } {
  const { board, logger, metrics } = deps;
  const { intervalMs } = board.config;
  if (intervalMs === 0) return { stop: () => undefined };
  const timeoutMs = Math.min(intervalMs, MAX_PING_TIMEOUT_MS);
  const inFlight = new Set<number>();
  // The gauge's label per trunk id, to take a renamed or removed trunk's series away.
  const labels = new Map<number, string>();
  // When this node last wrote each trunk's health (ms): unchanged health is rewritten only when a refresh is due.
  const writtenAt = new Map<number, number>();

  const share = async (trunk: Trunk, before: TrunkHealth, after: TrunkHealth) => {
    const now = Date.now();
    if (!healthWriteDue(before, after, writtenAt.get(trunk.id), now, intervalMs)) return;
    try {
      await writeTrunkHealth(deps.db, trunk.id, deps.nodeId, after, new Date(now), intervalMs);
      writtenAt.set(trunk.id, now);
    } catch (error) {
      writtenAt.delete(trunk.id);
      logger.warn({ err: error, trunk: trunk.name }, 'could not write trunk health: the admin view goes stale');
    }
  };

  const ping = async (trunk: Trunk): Promise<{ result: PingResult; status?: number }> => {
    const parsed = parseTrunkUri(trunk.outbound_uri ?? '');
    if (!parsed.ok) return { result: 'error' };
    try {
      const status = await sendOptions(deps.srf, formatTrunkUri(parsed.uri), timeoutMs);
      return { result: pingResult(status), status };
    } catch (error) {
      logger.debug({ trunk: trunk.name, err: (error as Error).message }, 'trunk ping failed');
      return { result: pingResult(undefined, error instanceof PingTimeout ? 'timeout' : 'error') };
    }
  };

  const pingOne = async (trunk: Trunk) => {
    inFlight.add(trunk.id);
    try {
      const outcome = await ping(trunk);
      metrics.trunkPings.inc({ trunk: trunk.name, result: outcome.result });
      const { before, after } = board.record(trunk.id, outcome);
      if (after.state !== 'unknown') metrics.trunkUp.set({ trunk: trunk.name }, after.state === 'up' ? 1 : 0);
      if (after.state === 'down' && before.state !== 'down') {
        logger.warn(
          { trunk: trunk.name, failures: after.consecutiveFailures, result: outcome.result },
          'trunk down: skipped by routing until it answers OPTIONS',
        );
      } else if (after.state === 'up' && before.state === 'down') {
        logger.info({ trunk: trunk.name, status: outcome.status }, 'trunk answers OPTIONS again: back in routing');
      }
      // Last: the board and metrics say it first, as the database write may take a while.
      await share(trunk, before, after);
    } finally {
      inFlight.delete(trunk.id);
    }
  };

  const round = async () => {
    if (!deps.isUp()) return;
    const trunks = (await deps.trunks()).filter((trunk) => trunk.outbound_uri !== null);
    const dropped = board.retain(new Set(trunks.map((trunk) => trunk.id)));
    for (const id of dropped) writtenAt.delete(id);
    await forgetTrunkHealth(deps.db, deps.nodeId, dropped);
    const current = new Map(trunks.map((trunk) => [trunk.id, trunk.name]));
    for (const [id, name] of labels) {
      if (current.get(id) !== name) {
        metrics.trunkUp.remove({ trunk: name });
        labels.delete(id);
      }
    }
    for (const trunk of trunks) {
      labels.set(trunk.id, trunk.name);
      if (!inFlight.has(trunk.id)) void pingOne(trunk);
    }
  };
  const run = () => void round().catch((error: unknown) => logger.warn({ err: error }, 'trunk ping round failed'));
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
