/**
 * Trunk state in the database, for every process: the signaling node that knows a piece of it writes it, on each
 * change (never on every ping or tick), and the api and the other signaling nodes read it.
 * - A registration (core/calls/trunk-registration.ts) is known to the node holding the trunk's lease
 *   (core/calls/trunk-lease.ts). Its row is believed only while that node still holds an unexpired lease: a holder
 *   that stops renewing (crashed, cut off) leaves a stale row that reads as unknown, and a new holder writes its own.
 * - Health (core/calls/trunk-health.ts) is one row per (trunk, node): each node pings over its own path and decides
 *   for itself. A node rewrites its row on a state change, and otherwise every HEALTH_REFRESH_PINGS pings so the row
 *   shows the node is still pinging; each row carries `fresh_until`, set by its writer from its own ping interval,
 *   past which it reads as stale (unknown), never as up.
 */
import type { Kysely } from 'kysely';
import type { Database, TrunkHealthTable, TrunkRegistrationStatesTable } from '../../db/schema.ts';
import type { TrunkHealth } from './trunk-health.ts';
import type { RegistrationState } from './trunk-registration.ts';
import { trunkLeaseHolders } from './trunk-lease.ts';

/** Why a REGISTER failed: a final non-2xx answer (403, say), none within the timeout, or a transport error. */
export type RegisterFailure = 'refused' | 'timeout' | 'error';

/** What is kept of a registration: two equal records need no write. */
export type RegistrationRecord = Omit<TrunkRegistrationStatesTable, 'trunk_id' | 'node_id' | 'updated_at'>;

/** A ping's health is rewritten unchanged after this many intervals, so a node still pinging never reads as stale. */
export const HEALTH_REFRESH_PINGS = 10;

/** A registration's state as written: `registering` lasts one transaction and is not (the last answer stands). */
export type SharedRegistrationState = Exclude<RegistrationState, { readonly kind: 'registering' }>;

export function registrationRecord(state: SharedRegistrationState, failure: RegisterFailure | null): RegistrationRecord {
  return {
    state: state.kind,
    since: state.since,
    last_status: state.kind === 'registered' || state.kind === 'failed' ? state.status : null,
    last_reason: state.kind === 'failed' ? failure : null,
    registered_until: state.kind === 'registered' ? state.until : null,
    retry_at: state.kind === 'failed' ? state.retryAt : null,
  };
}

/** Whether two records say the same (the registrar writes only when they do not). */
export function sameRecord(a: RegistrationRecord | undefined, b: RegistrationRecord): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** The lease holder's write of its registration's state (one upsert; a former holder's row is replaced). */
export async function writeRegistrationState(db: Kysely<Database>, trunkId: number, nodeId: string, record: RegistrationRecord, now: Date): Promise<void> {
  const row = { trunk_id: trunkId, node_id: nodeId, ...record, updated_at: now };
  await db
    .insertInto('trunk_registration_states')
    .values(row)
    .onConflict((conflict) => conflict.column('trunk_id').doUpdateSet({ ...row }))
    .execute();
}

/** A node that stops registering a trunk takes its state away with its lease. */
export async function deleteRegistrationState(db: Kysely<Database>, trunkId: number, nodeId: string): Promise<void> {
  await db.deleteFrom('trunk_registration_states').where('trunk_id', '=', trunkId).where('node_id', '=', nodeId).execute();
}

/**
 * The trunks whose registration failed on the node holding their lease (routing skips them on every node). One
 * statement, read once per cache poll by each signaling node, never per call.
 */
export async function failedRegistrations(db: Kysely<Database>, now: Date): Promise<Set<number>> {
  const rows = await db
    .selectFrom('trunk_registration_states as state')
    .innerJoin('trunk_registration_leases as lease', (join) => join.onRef('lease.trunk_id', '=', 'state.trunk_id').onRef('lease.node_id', '=', 'state.node_id'))
    .select('state.trunk_id')
    .where('state.state', '=', 'failed')
    .where('lease.expires_at', '>', now)
    .execute();
  return new Set(rows.map((row) => row.trunk_id));
}

/** Whether the pinger writes this ping's health: the first, a state change, or a refresh due. */
export function healthWriteDue(before: TrunkHealth, after: TrunkHealth, lastWrittenAt: number | undefined, now: number, intervalMs: number): boolean {
  return lastWrittenAt === undefined || before.state !== after.state || now - lastWrittenAt >= HEALTH_REFRESH_PINGS * intervalMs;
}

/** How long a written health holds without a rewrite: the refresh period plus two intervals' slack. */
export function healthFreshForMs(intervalMs: number): number {
  return (HEALTH_REFRESH_PINGS + 2) * intervalMs;
}

export async function writeTrunkHealth(
  db: Kysely<Database>,
  trunkId: number,
  nodeId: string,
  health: TrunkHealth,
  now: Date,
  intervalMs: number,
): Promise<void> {
  const row: TrunkHealthTable = {
    trunk_id: trunkId,
    node_id: nodeId,
    state: health.state,
    since: health.since,
    consecutive_failures: health.consecutiveFailures,
    last_status: health.lastStatus,
    last_result: health.lastResult,
    last_ping_at: health.lastPingAt,
    updated_at: now,
    fresh_until: new Date(now.getTime() + healthFreshForMs(intervalMs)),
  };
  await db
    .insertInto('trunk_health')
    .values(row)
    .onConflict((conflict) => conflict.columns(['trunk_id', 'node_id']).doUpdateSet({ ...row }))
    .execute();
}

/** A node no longer pinging these trunks (disabled, no outbound URI) takes its view of them away. */
export async function forgetTrunkHealth(db: Kysely<Database>, nodeId: string, trunkIds: readonly number[]): Promise<void> {
  if (trunkIds.length === 0) return;
  await db.deleteFrom('trunk_health').where('node_id', '=', nodeId).where('trunk_id', 'in', trunkIds).execute();
}

/** One node's view of a trunk's health; a stale one (its node stopped writing) reads as unknown. */
export interface NodeHealth extends TrunkHealth {
  readonly nodeId: string;
  readonly updatedAt: Date;
  readonly stale: boolean;
}

/** A registration as the admin sees it: who holds the lease, and that node's state if it wrote one. */
export interface SharedRegistration {
  readonly heldBy: string | undefined;
  /** The holder's state; undefined when it wrote none yet, or no node holds the lease. */
  readonly record: (RegistrationRecord & { readonly updatedAt: Date }) | undefined;
  /** A state was written by a node that no longer holds the lease: it says nothing now. */
  readonly stale: boolean;
}

const SEVERITY = { down: 2, up: 1, unknown: 0 } as const;

/**
 * The one health to show for a trunk across nodes: the worst state any node currently reports (a carrier one node
 * cannot reach is worth an operator's look), the most recently written among equals, naming the node that said it.
 * Stale views count as unknown. Undefined: no node reports on the trunk.
 * @example mergedHealth([{ nodeId: 'sig-1', state: 'up', ... }, { nodeId: 'sig-2', state: 'down', ... }])?.nodeId // 'sig-2'
 */
export function mergedHealth(views: readonly NodeHealth[]): NodeHealth | undefined {
  let worst: NodeHealth | undefined;
  for (const view of views) {
    const rank = SEVERITY[view.state];
    const worstRank = worst === undefined ? -1 : SEVERITY[worst.state];
    if (worst === undefined || rank > worstRank || (rank === worstRank && view.updatedAt > worst.updatedAt)) worst = view;
  }
  return worst;
}

/** Every trunk's shared state for the admin view: each node's health, and each registration's holder state. */
export async function sharedTrunkStates(
  db: Kysely<Database>,
  now: Date,
): Promise<{ health: Map<number, NodeHealth[]>; registrations: Map<number, SharedRegistration> }> {
  const [healthRows, stateRows, holders] = await Promise.all([
    db.selectFrom('trunk_health').selectAll().orderBy('trunk_id').orderBy('node_id').execute(),
    db.selectFrom('trunk_registration_states').selectAll().execute(),
    trunkLeaseHolders(db, now),
  ]);
  const health = new Map<number, NodeHealth[]>();
  for (const row of healthRows) {
    const stale = row.fresh_until <= now;
    const view: NodeHealth = {
      nodeId: row.node_id,
      state: stale ? 'unknown' : row.state,
      since: row.since,
      consecutiveFailures: row.consecutive_failures,
      lastStatus: row.last_status,
      lastResult: row.last_result,
      lastPingAt: row.last_ping_at,
      updatedAt: row.updated_at,
      stale,
    };
    health.set(row.trunk_id, [...(health.get(row.trunk_id) ?? []), view]);
  }
  const registrations = new Map<number, SharedRegistration>();
  const written = new Map(stateRows.map((row) => [row.trunk_id, row]));
  for (const trunkId of new Set([...holders.keys(), ...written.keys()])) {
    const heldBy = holders.get(trunkId);
    const row = written.get(trunkId);
    const current = row !== undefined && row.node_id === heldBy;
    registrations.set(trunkId, {
      heldBy,
      record: current
        ? {
            state: row.state,
            since: row.since,
            last_status: row.last_status,
            last_reason: row.last_reason,
            registered_until: row.registered_until,
            retry_at: row.retry_at,
            updatedAt: row.updated_at,
          }
        : undefined,
      stale: row !== undefined && !current,
    });
  }
  return { health, registrations };
}
