/** The signaling role: connects to drachtio-server and wires each SIP method to its handler. */
import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Kysely } from 'kysely';
import type { BillingConfig, CallsConfig, DrachtioConfig, SipConfig } from '../config.ts';
import { AddressBlocks } from '../core/abuse/address-blocks.ts';
import { webSocketProxies } from '../core/abuse/web-socket-proxies.ts';
import type { AbusePolicy } from '../core/abuse/policy.ts';
import { suspendedAmong } from '../core/abuse/suspension.ts';
import { markCallsAlive } from '../core/calls/cdr.ts';
import { hangUpsRequested, OPERATOR_HANG_UP_CAUSE } from '../core/calls/hang-up-request.ts';
import { markNodeAlive } from '../core/calls/nodes.ts';
import { closeFaultedRecords, closeSilentNodes, hangUpOwedLegs, recoverOrphans } from '../core/calls/orphans.ts';
import type { DialogHandle } from '../core/calls/dialog-handle.ts';
import type { Vault } from '../core/privacy/vault.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { RegisterParseError, registerRequestFrom } from './registrar/from-drachtio.ts';
import { NonceIssuer } from './auth/nonces.ts';
import type { DigestAuthDeps } from './auth/digest-auth.ts';
import { handleRegister, type RegistrarDeps } from './registrar/register.ts';
import { ALLOW, methodNotAllowed } from './request-checks.ts';
import { refuse, xReasonOf } from './sip-reply.ts';
import { hangUpLeg, connectSrf, sendReply } from './srf.ts';
import { BindingRefreshes } from '../core/binding-refreshes.ts';
import { VersionedCache } from '../core/versioned-cache.ts';
import { Directory } from '../core/calls/directory.ts';
import { ActiveCalls } from './call/active-calls.ts';
import type { CallDeps } from './invite/call-context.ts';
import type { MediaRelay } from '../core/media/media-relay.ts';
import { handleInvite } from './invite/handle-invite.ts';
import { probeSip, probeTarget } from './sip-probe.ts';
import { readInvite } from './invite/read-invite.ts';
import { OPERATOR_STOP } from './invite/ringing-stop.ts';
import { logCallId } from '../core/client-address.ts';
import { TrunkHealthBoard } from '../core/calls/trunk-health.ts';
import { startTrunkPinger } from './trunk-pinger.ts';
import { TrunkRegistrationBoard } from '../core/calls/trunk-registration.ts';
import { failedRegistrations } from '../core/calls/trunk-state.ts';
import { startTrunkRegistrar } from './trunk-registrar.ts';
import type { PushTransport } from '../core/push/incoming-call-push.ts';
import { RegistrationWatches } from '../core/registration-watch.ts';

export interface SignalingDeps {
  readonly db: Kysely<Database>;
  readonly drachtio: DrachtioConfig;
  readonly sip: SipConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly calls: CallsConfig;
  readonly billing: BillingConfig;
  readonly abuse: AbusePolicy;
  /** Seals the numbers in call records under their account's key (core/privacy/vault.ts). */
  readonly vault: Vault;
  /** Starts the media server relay (media-control) on this role's drachtio connection; none: browser <-> RTP calls get 488. */
  readonly media?: (srf: Srf) => { readonly relay: MediaRelay; stop(): void };
  /** Web Push (signaling/web-push.ts on the VAPID keys) and its settings; none: a callee with no live device gets 480 at once. */
  readonly push?: { readonly transport: PushTransport; readonly ringSeconds: number; readonly serviceHosts: readonly string[] };
}

export interface Signaling {
  /** Resolves with drachtio-server's SIP endpoints once connected. */
  readonly connected: Promise<string>;
  /** Why this role is not serving SIP right now (for /readyz), or undefined when its last probe was answered. */
  notReadyBecause(): string | undefined;
  /** Reads the cache change counters now instead of at the next poll (a suite that has just changed a trunk). */
  refreshCaches(): Promise<void>;
  /** Each outbound trunk's health as this node's OPTIONS pings see it (core/calls/trunk-health.ts). */
  readonly trunkHealth: TrunkHealthBoard;
  /** The registration trunks this node registers, and their state (core/calls/trunk-registration.ts). */
  readonly trunkRegistrations: TrunkRegistrationBoard;
  stop(): Promise<void>;
}

export function startSignaling(deps: SignalingDeps): Signaling {
  const logger = deps.logger.child({ role: 'signaling' });
  const connection = connectSrf(deps.drachtio, logger);
  const auth: DigestAuthDeps = {
    db: deps.db,
    nonces: new NonceIssuer(deps.sip.secret, deps.sip.nonceTtlSeconds * 1000),
    credentials: new VersionedCache({ topic: 'sip-credentials', pollMs: deps.sip.cachePollMs, maxEntries: 100_000 }),
    bruteForce: new AddressBlocks(deps.sip.bruteForce),
    webSocketProxies: webSocketProxies(deps.sip.webSocketProxies),
    realm: deps.sip.realm,
    credentialSecret: deps.sip.secret,
    challengeAlgorithm: deps.sip.challengeAlgorithm,
    logger,
    now: () => new Date(),
  };
  // Calls held ringing for a pushed browser, woken by the registrar (signaling/invite/push-ring.ts).
  const watches = new RegistrationWatches();
  const registrar: RegistrarDeps = {
    auth,
    watches,
    // Two batches in flight keep the disk busy while the next one fills; the pool keeps connections for calls.
    refreshes: new BindingRefreshes(deps.db, { concurrency: 2, maxBatch: 500 }),
    options: {
      minExpires: deps.sip.registerExpires.min,
      maxExpires: deps.sip.registerExpires.max,
      defaultExpires: deps.sip.registerExpires.default,
      ...deps.sip.registerLimits,
    },
  };

  connection.on('register', async (req, res) => {
    let request;
    try {
      request = registerRequestFrom(req);
    } catch (error) {
      if (!(error instanceof RegisterParseError)) throw error;
      deps.metrics.sipRegister.inc({ status: 400, reason: 'malformed-register' });
      return sendReply(res, refuse(400, 'Bad Request', 'malformed-register'));
    }
    const reply = await handleRegister(registrar, request);
    const reason = xReasonOf(reply) ?? 'ok';
    deps.metrics.sipRegister.inc({ status: reply.status, reason });
    logger.debug({ callId: logCallId(request.callId), status: reply.status, reason }, 'register');
    sendReply(res, reply);
  });

  const media = deps.media?.(connection.srf);
  const directory = new Directory(deps.db, { pollMs: deps.sip.cachePollMs });
  // In memory, this node's own; what others need of them is written to the database (core/calls/trunk-state.ts).
  const trunkHealth = new TrunkHealthBoard(deps.calls.trunkPing);
  const trunkRegistrations = new TrunkRegistrationBoard(deps.calls.trunkRegister);
  const calls: CallDeps = {
    db: deps.db,
    srf: connection.srf,
    auth,
    directory,
    logger,
    metrics: deps.metrics,
    nodeId: deps.calls.nodeId,
    defaultCountry: deps.calls.defaultCountry,
    defaultCallerId: deps.calls.defaultCallerId,
    reservationLimits: {
      maxConcurrent: deps.billing.maxConcurrentCalls,
      maxCallSeconds: deps.billing.maxCallSeconds,
      setupGraceSeconds: deps.billing.reservationGraceSeconds,
    },
    vault: deps.vault,
    trunkTimeoutMs: deps.calls.trunkTimeoutMs,
    trunkHealth,
    trunkRegistrations,
    onSignalingLost: (listener) => connection.onLost(listener),
    activeCalls: new ActiveCalls((size) => deps.metrics.callsActive.set(size)),
    reconnect: deps.calls.reconnect,
    abuse: deps.abuse,
    floods: new AddressBlocks(deps.sip.flood),
    ...(media === undefined ? {} : { media: media.relay }),
    ...(deps.calls.echoTest === undefined ? {} : { echoTest: deps.calls.echoTest }),
    ...(deps.push === undefined
      ? {}
      : { push: { transport: deps.push.transport, ringMs: deps.push.ringSeconds * 1000, serviceHosts: deps.push.serviceHosts, watches } }),
  };
  const endLeg = (leg: DialogHandle) => hangUpLeg(connection.srf, leg);
  // This process among any others that (wrongly) run under the same node id.
  const self = { nodeId: deps.calls.nodeId, instance: randomUUID() };
  // Close what a previous process of this node left open before taking new calls.
  // After the handshake: BYEs for the legs of calls left up go out through drachtio-server.
  const recovered = connection.connected
    .then(() => markNodeAlive(deps.db, self, new Date()))
    .then(() => recoverOrphans(deps.db, deps.calls.nodeId, new Date(), endLeg))
    .then(({ closed, legs, failures }) => {
      if (legs > 0) logger.warn({ legs, hungUp: legs - failures.length, failures }, 'sent BYE on the legs of calls left up');
      if (closed > 0) logger.warn({ closed }, 'closed calls left open by a previous process');
    });
  // The INVITEs being handled, by Call-ID: with the bridges', what this process carries (closeFaultedRecords); each
  // with what stops it ringing when an operator hangs it up (ringing-stop.ts).
  const handling = new Map<string, AbortController>();
  connection.on('invite', async (req, res) => {
    // Read before anything is awaited: drachtio can deliver an INVITE and its CANCEL in one read, and drachtio-srf
    // emits 'cancel' once, so the watch readInvite starts must already be there.
    const stop = new AbortController();
    const facts = readInvite(req, stop);
    handling.set(facts.callId, stop);
    try {
      await recovered;
      await handleInvite(calls, req, res, facts);
    } finally {
      handling.delete(facts.callId);
    }
  });

  // Without the connection no BYE, re-INVITE or timer of ours reaches the calls it carried: end them now, billed to
  // the moment of loss, rather than let them run to their maximum length on a heartbeat that no longer means much.
  connection.onLost(() => {
    const ended = calls.activeCalls.endAll('signaling-lost');
    if (ended > 0) logger.warn({ calls: ended }, 'drachtio connection lost: the calls it carried are ended and billed to now');
  });

  // RFC 3261 §11.2: OPTIONS is answered as an INVITE would be, minus the session; used as a keep-alive ping.
  connection.on('options', async (_req, res) => {
    sendReply(res, { status: 200, reason: 'OK', headers: { Allow: ALLOW, Accept: 'application/sdp' } });
  });

  // Known methods we do not serve outside a dialog: drachtio-server would answer them 503, which tells the client
  // to try again later (RFC 3261 §21.5.4); in-dialog ones go to their dialog and never reach here.
  for (const method of ['message', 'info', 'subscribe', 'notify', 'publish', 'refer'] as const) {
    connection.on(method, async (_req, res) => sendReply(res, methodNotAllowed()));
  }

  // Every interval, busy or idle: this node's sign of life (core/calls/nodes.ts), its answered calls marked alive, and
  // suspensions (set by pattern detection or an operator on any node) carried to the calls it bridges, so a suspended
  // account's outbound calls end within one interval. Then what others left: calls of nodes silent past
  // CALL_NODE_DEAD_SECONDS closed, and BYEs owed (after a lost connection or a crash) sent while a connection is up.
  // A node acts on others only after two heartbeats in a row got through: after a database outage every node gets
  // one interval to show it is alive before its calls are taken for dead.
  // This process's previous heartbeat that reached the database; undefined after one that did not.
  let lastMark: Date | undefined;
  const heartbeat = setInterval(() => {
    void (async () => {
      const now = new Date();
      const actOnOthers = lastMark !== undefined;
      let shared: boolean;
      try {
        ({ shared } = await markNodeAlive(deps.db, self, now, lastMark));
        lastMark = now;
      } catch (error) {
        lastMark = undefined;
        throw error;
      }
      if (shared) {
        // Its records are as much the other process's: closing them as lost would end that one's calls.
        logger.error({ nodeId: deps.calls.nodeId }, 'another running process uses this SIGNALING_NODE_ID: give each its own; records are left alone meanwhile');
      }
      if (calls.activeCalls.size > 0) {
        await markCallsAlive(deps.db, deps.calls.nodeId, now, calls.activeCalls.callIds());
        const suspended = await suspendedAmong(deps.db, calls.activeCalls.payingAccounts());
        const ended = calls.activeCalls.hangUpPaidBy(suspended, 'suspended');
        if (ended > 0) logger.warn({ calls: ended }, 'hung up the calls of suspended accounts');
      }
      // Records of ours no handler or bridge carries any more (their last write failed): closed, not left to expire.
      if (!shared) {
        const carried = [...handling.keys(), ...calls.activeCalls.callIds()];
        const startedBefore = new Date(now.getTime() - deps.calls.heartbeatMs);
        const lost = await closeFaultedRecords(deps.db, deps.calls.nodeId, { notCarried: carried, startedBefore }, now);
        if (lost > 0) logger.warn({ closed: lost }, 'closed call records left open by a failed write');
      }
      const up = connection.isUp();
      if (actOnOthers) {
        const silent = await closeSilentNodes(deps.db, now, deps.calls.nodeDeadMs, { self: deps.calls.nodeId, ...(up ? { endLeg } : {}) });
        if (silent.nodes.length > 0) logger.warn(silent, 'closed the calls of silent signaling nodes');
      }
      if (up) {
        const owed = await hangUpOwedLegs(deps.db, [deps.calls.nodeId], endLeg);
        if (owed.legs > 0) logger.warn(owed, 'sent the BYEs owed on legs of calls ended while they could not be reached');
      }
    })().catch((error: unknown) => logger.warn({ err: error }, 'call heartbeat failed'));
  }, deps.calls.heartbeatMs);
  heartbeat.unref();

  // Readiness: an OPTIONS to drachtio-server's SIP address (sip-probe.ts), answered by our OPTIONS handler, every interval.
  let probe: { ok: boolean; at: number; why: string } = { ok: false, at: 0, why: 'not connected to drachtio-server yet' };
  const runProbe = () =>
    void connection.connected.then(async (hostports) => {
      const target = probeTarget(hostports);
      if (target === undefined) return void (probe = { ok: false, at: Date.now(), why: `drachtio-server offers no UDP endpoint (${hostports})` });
      const outcome = await probeSip(target, Math.min(2000, deps.calls.sipProbeMs)).then(
        (status) => (status === 200 ? { ok: true, why: '' } : { ok: false, why: `OPTIONS answered ${status}` }),
        (error: Error) => ({ ok: false, why: `OPTIONS to drachtio-server: ${error.message}` }),
      );
      if (probe.ok && !outcome.ok) logger.warn({ why: outcome.why }, 'SIP probe failed: not ready');
      if (!probe.ok && outcome.ok && probe.at !== 0) logger.info('SIP probe answered again: ready');
      probe = { ...outcome, at: Date.now() };
    });
  void recovered.then(runProbe, runProbe);
  const prober = setInterval(runProbe, deps.calls.sipProbeMs);
  prober.unref();

  // Registrations that failed on the node holding their lease (core/calls/trunk-state.ts): routing here skips them
  // too. One read per cache poll; unread, none is skipped on another node's word.
  const readFailedRegistrations = async (now: number) => {
    try {
      trunkRegistrations.observeFailedOnHolders(await failedRegistrations(deps.db, new Date(now)));
    } catch (error) {
      trunkRegistrations.observeFailedOnHolders(new Set());
      throw error;
    }
  };
  const refreshCaches = async () => {
    const now = Date.now();
    // The vault's too: each call's record seals its numbers with the account's cached key, no statement per call.
    await Promise.all([auth.credentials.poll(deps.db, now), directory.poll(now), deps.vault.poll(deps.db, now), readFailedRegistrations(now)]);
  };
  // An operator's hang-up (core/calls/hang-up-request.ts) may be recorded by an api in another process: read at the
  // cache poll's pace, one indexed read of this node's open records while it carries calls.
  const hangUpRequested = async () => {
    if (handling.size === 0 && calls.activeCalls.size === 0) return;
    const requested = await hangUpsRequested(deps.db, deps.calls.nodeId);
    const ended = calls.activeCalls.hangUpCalls(requested, OPERATOR_HANG_UP_CAUSE);
    // Those not bridged yet still ring (or are being routed): their flows cancel the legs and answer the caller.
    const bridged = new Set(calls.activeCalls.callIds());
    let stopped = 0;
    for (const callId of requested) {
      const stop = handling.get(callId);
      if (stop === undefined || bridged.has(callId) || stop.signal.aborted) continue;
      stop.abort(OPERATOR_STOP);
      stopped += 1;
    }
    if (ended + stopped > 0) logger.info({ calls: ended, ringing: stopped }, 'hung up calls an operator asked to end');
  };
  const pollCaches = () => {
    void refreshCaches().catch((error: unknown) => logger.debug({ err: error }, 'cache version poll failed (reading through)'));
    void hangUpRequested().catch((error: unknown) => logger.warn({ err: error }, 'reading hang-up requests failed'));
  };
  pollCaches();
  const cachePoller = setInterval(pollCaches, deps.sip.cachePollMs);
  // OPTIONS to each outbound trunk (trunk-pinger.ts): routing skips those that stop answering.
  const pinger = startTrunkPinger({
    srf: connection.srf,
    board: trunkHealth,
    db: deps.db,
    nodeId: deps.calls.nodeId,
    trunks: () => directory.enabledTrunks(),
    isUp: () => connection.isUp(),
    logger,
    metrics: deps.metrics,
  });
  // REGISTER for each registration trunk whose lease this node holds (trunk-registrar.ts).
  const trunkRegistrar = startTrunkRegistrar({
    srf: connection.srf,
    db: deps.db,
    board: trunkRegistrations,
    nodeId: deps.calls.nodeId,
    leaseMs: deps.calls.trunkRegister.leaseMs,
    trunks: () => directory.enabledTrunks(),
    hostports: connection.connected,
    isUp: () => connection.isUp(),
    logger,
    metrics: deps.metrics,
  });
  // In-memory guard state is bounded by sweeping it as nonces expire.
  const sweeper = setInterval(() => {
    const now = Date.now();
    auth.nonces.sweep(now);
    auth.bruteForce.sweep(now);
    calls.floods.sweep(now);
  }, 30_000);
  sweeper.unref();

  return {
    connected: Promise.all([connection.connected, recovered]).then(([hostport]) => hostport),
    notReadyBecause() {
      if (!probe.ok) return probe.why;
      // A probe that never comes back (its timer stuck behind a wedged connection) must not read as a success.
      if (Date.now() - probe.at > 3 * deps.calls.sipProbeMs) return 'no SIP probe answered lately';
      return undefined;
    },
    refreshCaches,
    trunkHealth,
    trunkRegistrations,
    async stop() {
      pinger.stop();
      // Before the connection closes: the bindings are removed through it.
      await trunkRegistrar.stop();
      clearInterval(prober);
      clearInterval(sweeper);
      clearInterval(cachePoller);
      clearInterval(heartbeat);
      // Calls end now and are billed for what was used; the handlers then finish, and close() waits for them.
      calls.activeCalls.hangUpAll();
      media?.stop();
      await connection.close();
    },
  };
}
