/**
 * Registration trunks at the edge (RFC 3261 §10.2): for each enabled trunk with a registrar URI whose lease this node
 * holds (core/calls/trunk-lease.ts), a REGISTER goes through drachtio-server binding a contact of ours, refreshed
 * before the granted time runs out and retried with backoff after a failure; core/calls/trunk-registration.ts decides
 * what each answer means. Digest challenges (401/407, RFC 3261 §22) are answered by drachtio-srf (`auth`). The contact's
 * user part is random per registration, so an INVITE to it is the carrier's (signaling/invite/handle-invite.ts). On
 * stop every binding is removed (Expires: 0, §10.2.2) and the leases let go.
 */
import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Kysely } from 'kysely';
import { releaseTrunkLease, takeTrunkLease } from '../core/calls/trunk-lease.ts';
import {
  afterRegister,
  grantedSeconds,
  initialRegistration,
  nextRegisterAt,
  registering,
  registrationOf,
  type RegistrationSettings,
  type RegistrationState,
  type TrunkRegistrationBoard,
} from '../core/calls/trunk-registration.ts';
import {
  deleteRegistrationState,
  registrationRecord,
  sameRecord,
  writeRegistrationState,
  type RegisterFailure,
  type RegistrationRecord,
} from '../core/calls/trunk-state.ts';
import { parseTrunkUri } from '../core/calls/trunk-uri.ts';
import type { Trunk } from '../core/calls/trunks.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

/** A REGISTER unanswered this long counts as failed (its transaction runs on to timer F, 32 s, unheard). */
const REGISTER_TIMEOUT_MS = 10_000;
/** On stop, removing a binding waits no longer: the registrar drops it at its expiry anyway. */
const UNREGISTER_TIMEOUT_MS = 2000;
/** How often the loop looks for REGISTERs due (refreshes are due at half the granted time, seconds at least). */
const TICK_MS = 250;

export interface TrunkRegistrarDeps {
  readonly srf: Srf;
  readonly db: Kysely<Database>;
  readonly board: TrunkRegistrationBoard;
  readonly nodeId: string;
  readonly leaseMs: number;
  /** The enabled trunks (the node's directory); those with a registrar URI are registered. */
  readonly trunks: () => Promise<readonly Trunk[]>;
  /** drachtio-server's SIP endpoints (`udp/127.0.0.1:5060,...`): our contact's host and port. */
  readonly hostports: Promise<string>;
  readonly isUp: () => boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

type RawResponse = { status: number; get(name: string): string | undefined; has(name: string): boolean };
type RawRequest = { on(event: 'response', listener: (res: RawResponse) => void): void };
type RawRequestApi = (uri: string, opts: object, callback: (error: Error | null, req: RawRequest) => void) => void;

class RegisterTimeout extends Error {}

/** One REGISTER transaction's final answer (after any challenge drachtio-srf answered with `auth`). */
function sendRegister(srf: Srf, uri: string, opts: object, timeoutMs: number): Promise<RawResponse> {
  // drachtio-srf has Srf#request at runtime (lib/srf.js); its typings leave it out.
  const request = (srf as unknown as { request: RawRequestApi }).request;
  return new Promise<RawResponse>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RegisterTimeout(`no final response within ${timeoutMs} ms`)), timeoutMs);
    request.call(srf, uri, opts, (error, req) => {
      if (error) {
        clearTimeout(timer);
        return reject(error);
      }
      req.on('response', (res) => {
        if (res.status < 200) return;
        clearTimeout(timer);
        resolve(res);
      });
    });
  });
}

/** The `expires` parameter of our own binding among the Contacts a 2xx lists (RFC 3261 §10.3 step 8). */
export function contactExpires(contacts: string | undefined, contactUser: string): string | undefined {
  const ours = (contacts ?? '').split(',').find((entry) => entry.includes(`:${contactUser}@`));
  return ours === undefined ? undefined : /;\s*expires\s*=\s*(\d+)/i.exec(ours)?.[1];
}

/** drachtio-server's UDP endpoint, as `host:port` for our Contact. */
function contactHost(hostports: string): string | undefined {
  for (const entry of hostports.split(',')) {
    const match = /^udp\/(.+:\d+)$/.exec(entry.trim());
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/** One registration's SIP dialog-less state: the Call-ID kept for every REGISTER, the CSeq counted up (§10.2.4). */
interface Binding {
  readonly callId: string;
  cseq: number;
  inFlight: boolean;
  leaseRenewedAt: number;
  name: string;
}

export function startTrunkRegistrar(deps: TrunkRegistrarDeps): { stop(): Promise<void> } {
  const { board, logger, metrics } = deps;
  const bindings = new Map<number, Binding>();
  let stopped = false;
  // What this node last wrote of each registration: an unchanged state is not written again.
  const written = new Map<number, RegistrationRecord>();

  /**
   * Shares the registration's state (core/calls/trunk-state.ts) when it changed. `registering` is never written: it
   * lasts one transaction, and a retry of a failed registration must not let the other nodes route to it meanwhile.
   */
  const share = async (trunkId: number, state: RegistrationState, failure: RegisterFailure | null) => {
    if (state.kind === 'registering') return;
    const record = registrationRecord(state, failure);
    if (sameRecord(written.get(trunkId), record)) return;
    try {
      await writeRegistrationState(deps.db, trunkId, deps.nodeId, record, new Date());
      written.set(trunkId, record);
    } catch (error) {
      written.delete(trunkId);
      logger.warn({ err: error, trunkId }, 'could not share a trunk registration state: other nodes see the last one');
    }
  };

  const register = async (trunk: Trunk, settings: RegistrationSettings, binding: Binding, expires: number) => {
    const current = board.get(trunk.id);
    const host = contactHost(await deps.hostports);
    const registrar = parseTrunkUri(settings.uri);
    if (current === undefined || host === undefined || !registrar.ok) return { status: undefined, result: 'error' as const };
    const aor = `sip:${settings.username}@${registrar.uri.host}`;
    // Each REGISTER may take two CSeqs: drachtio-srf answers a challenge with the next one.
    binding.cseq += 2;
    const opts = {
      method: 'REGISTER',
      headers: {
        From: `<${aor}>`,
        To: `<${aor}>`,
        Contact: `<sip:${current.contactUser}@${host}>`,
        Expires: String(expires),
        'Call-ID': binding.callId,
        CSeq: `${binding.cseq} REGISTER`,
        'Max-Forwards': '70',
      },
      ...(settings.password === null ? {} : { auth: { username: settings.username, password: settings.password } }),
    };
    try {
      const res = await sendRegister(deps.srf, settings.uri, opts, expires === 0 ? UNREGISTER_TIMEOUT_MS : REGISTER_TIMEOUT_MS);
      const granted = grantedSeconds(expires, {
        contactExpires: contactExpires(res.has('Contact') ? res.get('Contact') : undefined, current.contactUser),
        expires: res.has('Expires') ? res.get('Expires') : undefined,
      });
      const ok = res.status >= 200 && res.status < 300;
      return { status: res.status, granted, result: ok ? ('registered' as const) : ('refused' as const) };
    } catch (error) {
      logger.debug({ trunk: trunk.name, err: (error as Error).message }, 'REGISTER failed');
      return { status: undefined, result: error instanceof RegisterTimeout ? ('timeout' as const) : ('error' as const) };
    }
  };

  const refresh = async (trunk: Trunk, settings: RegistrationSettings, binding: Binding) => {
    binding.inFlight = true;
    try {
      const before = board.get(trunk.id);
      if (before === undefined) return;
      board.set(trunk.id, { ...before, state: registering(before.state, new Date()) });
      const outcome = await register(trunk, settings, binding, settings.expires);
      metrics.trunkRegistrations.inc({ trunk: trunk.name, result: outcome.result });
      const now = new Date();
      const latest = board.get(trunk.id);
      if (latest === undefined) return;
      const state = afterRegister(
        latest.state,
        { status: outcome.status, grantedSeconds: 'granted' in outcome ? outcome.granted : undefined },
        board.backoff,
        now,
      );
      board.set(trunk.id, { ...latest, state });
      metrics.trunkRegistered.set({ trunk: trunk.name }, state.kind === 'registered' ? 1 : 0);
      if (state.kind === 'failed' && latest.state.kind !== 'failed') {
        logger.warn(
          { trunk: trunk.name, status: state.status, result: outcome.result },
          'trunk registration failed: retried with backoff, routing skips the trunk',
        );
      } else if (state.kind === 'registered' && latest.state.kind !== 'registered') {
        logger.info({ trunk: trunk.name, until: state.until }, 'trunk registered');
      }
      // Last: the board and metrics say it first, as the database write may take a while.
      await share(trunk.id, state, outcome.result === 'registered' ? 'refused' : outcome.result);
    } finally {
      binding.inFlight = false;
    }
  };

  /** Removes our binding (Expires: 0, RFC 3261 §10.2.2) when it was registered, forgets it and lets go of the lease. */
  const drop = async (trunkId: number, trunk: Trunk | undefined) => {
    const binding = bindings.get(trunkId);
    const registration = board.get(trunkId);
    const settings = trunk === undefined ? undefined : registrationOf(trunk);
    if (trunk !== undefined && binding !== undefined && settings !== undefined && registration?.state.kind === 'registered') {
      await register(trunk, settings, binding, 0);
    }
    board.delete(trunkId);
    bindings.delete(trunkId);
    written.delete(trunkId);
    if (binding !== undefined) metrics.trunkRegistered.remove({ trunk: binding.name });
    await deleteRegistrationState(deps.db, trunkId, deps.nodeId);
    await releaseTrunkLease(deps.db, trunkId, deps.nodeId);
  };

  const lastSeen = new Map<number, Trunk>();
  const round = async () => {
    if (stopped || !deps.isUp()) return;
    const trunks = (await deps.trunks()).filter((trunk) => registrationOf(trunk) !== undefined);
    const current = new Set(trunks.map((trunk) => trunk.id));
    for (const id of [...bindings.keys()]) if (!current.has(id) && !bindings.get(id)?.inFlight) await drop(id, lastSeen.get(id));
    const now = new Date();
    for (const trunk of trunks) {
      const settings = registrationOf(trunk);
      if (settings === undefined) continue;
      lastSeen.set(trunk.id, trunk);
      let binding = bindings.get(trunk.id);
      if (binding === undefined || now.getTime() - binding.leaseRenewedAt >= deps.leaseMs / 3) {
        if (!(await takeTrunkLease(deps.db, trunk.id, deps.nodeId, now, deps.leaseMs))) {
          // Another node holds it: it registers the trunk, not us.
          if (binding !== undefined) {
            logger.warn({ trunk: trunk.name }, 'another node holds this trunk: it registers it now');
            board.delete(trunk.id);
            bindings.delete(trunk.id);
            written.delete(trunk.id);
            metrics.trunkRegistered.remove({ trunk: binding.name });
          }
          continue;
        }
        if (binding === undefined) {
          binding = { callId: `${randomBytes(12).toString('hex')}@dialo`, cseq: 0, inFlight: false, leaseRenewedAt: 0, name: trunk.name };
          bindings.set(trunk.id, binding);
          const state = initialRegistration(now);
          board.set(trunk.id, { state, contactUser: `reg${trunk.id}-${randomBytes(8).toString('hex')}` });
          await share(trunk.id, state, null);
        }
        binding.leaseRenewedAt = now.getTime();
      }
      if (binding.name !== trunk.name) {
        metrics.trunkRegistered.remove({ trunk: binding.name });
        binding.name = trunk.name;
      }
      const state = board.get(trunk.id)?.state;
      const due = state === undefined ? undefined : nextRegisterAt(state, now);
      if (!binding.inFlight && due !== undefined && due <= now) void refresh(trunk, settings, binding);
    }
  };
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    void round()
      .catch((error: unknown) => logger.warn({ err: error }, 'trunk registration round failed'))
      .finally(() => (running = false));
  };
  const timer = setInterval(run, TICK_MS);
  timer.unref();
  run();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (!deps.isUp()) return;
      const results = await Promise.allSettled([...bindings.keys()].map((id) => drop(id, lastSeen.get(id))));
      for (const result of results) if (result.status === 'rejected') logger.warn({ err: result.reason }, 'could not unregister a trunk');
    },
  };
}
