/** What every INVITE step may use: dependencies passed in once, and the facts read off one request. */
import type Srf from 'drachtio-srf';
import type { Kysely } from 'kysely';
import type { AddressBlocks } from '../../core/abuse/address-blocks.ts';
import type { AbusePolicy } from '../../core/abuse/policy.ts';
import type { ReservationLimits } from '../../core/billing/reservations.ts';
import type { Directory } from '../../core/calls/directory.ts';
import type { TrunkHealthBoard } from '../../core/calls/trunk-health.ts';
import type { TrunkRegistrationBoard } from '../../core/calls/trunk-registration.ts';
import type { Vault } from '../../core/privacy/vault.ts';
import type { Database } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics.ts';
import type { DigestAuthDeps } from '../auth/digest-auth.ts';
import type { ActiveCalls } from '../call/active-calls.ts';
import type { MediaRelay } from '../../core/media/media-relay.ts';
import type { PushTransport } from '../../core/push/incoming-call-push.ts';
import type { RegistrationWatches } from '../../core/registration-watch.ts';

/** Waking a callee with no live device by Web Push (signaling/invite/push-ring.ts). */
export interface PushRing {
  readonly transport: PushTransport;
  /** PUSH_RING_SECONDS, in ms: how long the caller rings while a pushed browser wakes. */
  readonly ringMs: number;
  /** PUSH_SERVICE_HOSTS: endpoints elsewhere are not pushed to. */
  readonly serviceHosts: readonly string[];
  /** Told by the registrar of each accepted REGISTER: what wakes a waiting call. */
  readonly watches: RegistrationWatches;
}

export interface CallDeps {
  readonly db: Kysely<Database>;
  readonly srf: Srf;
  readonly auth: DigestAuthDeps;
  /** Trunks, hosted numbers, rates and blocked prefixes, cached on this node (core/calls/directory.ts). */
  readonly directory: Directory;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** This process's name in CDRs, so a restart closes its own orphaned calls. */
  readonly nodeId: string;
  /** Country for numbers dialled in national format (ISO 3166 alpha-2), if any. */
  readonly defaultCountry: string | undefined;
  /** Caller ID for outbound calls from accounts that own no number. */
  readonly defaultCallerId: string | undefined;
  readonly reservationLimits: ReservationLimits;
  /**
   * Seals what is personal under its account's key (core/privacy/vault.ts): each call's numbers in its records, and the
   * mail a suspension sends. Polled with the other caches (signaling/app.ts).
   */
  readonly vault: Vault;
  /** INVITEs refused as from unknown sources, per address and port (core/abuse/address-blocks.ts): past the limit, refused from memory. */
  readonly floods: AddressBlocks;
  /** Toll-fraud rules and pattern detection (core/abuse/). */
  readonly abuse: AbusePolicy;
  /** How long a trunk may take to answer finally before the next one is tried. */
  readonly trunkTimeoutMs: number;
  /** Trunks' health by this node's OPTIONS pings: routing skips those down (core/calls/trunk-health.ts); none: all used. */
  readonly trunkHealth?: TrunkHealthBoard;
  /**
   * The registration trunks this node registers (core/calls/trunk-registration.ts): INVITEs to their contacts are
   * theirs, and routing skips those whose registration failed; none: no registration trunk on this node.
   */
  readonly trunkRegistrations?: TrunkRegistrationBoard;
  /** Calls `listener` when the drachtio connection closes (no request in flight will be answered); returns the unsubscribe. */
  readonly onSignalingLost: (listener: () => void) => () => void;
  /** Bridged calls, hung up on shutdown. */
  readonly activeCalls: ActiveCalls;
  /** Browser legs whose WebSocket is lost are probed and waited for (signaling/call/leg-watch.ts); none: not watched. */
  readonly reconnect?: { readonly graceMs: number; readonly probeMs: number };
  /** The media server for calls whose two ends speak different media (browser <-> RTP); none: such calls get 488. */
  readonly media?: MediaRelay;
  /** Web Push for callees with no live device; none (no VAPID keys): such calls get 480 at once. */
  readonly push?: PushRing;
  /** The echo test's number and time cap (signaling/invite/echo-call.ts); undefined: turned off. */
  readonly echoTest?: { readonly number: string; readonly maxSeconds: number };
}

export interface InviteFacts {
  readonly callId: string;
  /** The Request-URI's user part, unescaped: the dialled number or user. */
  readonly dialled: string;
  /** The To URI's user part: a registration trunk's carrier may put the called number here. */
  readonly calledUser: string | undefined;
  /** The From URI's user part: who the caller says it is (a carrier's calling number). */
  readonly callingUser: string | undefined;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** The top Via's transport (over ws drachtio reports `req.protocol` as tcp). */
  readonly transport: string | undefined;
  readonly proxyAuthorization: string | undefined;
  readonly sdp: string;
  /**
   * Our Contact toward the caller. drachtio-server adds one to the 2xx only; a 183 with SDP opens an early dialog too
   * (RFC 3261 §12.1.1) and a browser drops it without one.
   */
  readonly localContact: string | undefined;
  /**
   * Aborted when the caller sends CANCEL (RFC 3261 §9.2), or an operator ends the call while it rings (its reason
   * says which: ringing-stop.ts). Watched from the moment the INVITE arrives: drachtio-srf
   * emits 'cancel' once, so a CANCEL landing while a step awaits the database would otherwise go unseen and the
   * callee would be rung for a caller who already got 487.
   */
  readonly cancelled: AbortSignal;
}
