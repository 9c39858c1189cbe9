/**
 * Registration trunks (RFC 3261 §10.2): a trunk with a registrar URI registers a contact of ours with its carrier,
 * which then sends the trunk's calls there. This is the pure part: what one REGISTER's answer makes of a trunk's
 * registration, when the next REGISTER goes, and whether routing may use the trunk. The node holding the trunk's
 * lease (core/calls/trunk-lease.ts) acts on it (signaling/trunk-registrar.ts).
 *   unregistered --REGISTER sent--> registering --2xx--> registered(until)   refresh at half the granted time
 *                                             \--other/none--> failed(status, retry at)   backoff doubling, capped
 */
import type { TrunkDidSource } from '../../db/schema.ts';
import type { Trunk } from './trunks.ts';

export type RegistrationState =
  | { readonly kind: 'unregistered'; readonly since: Date }
  | { readonly kind: 'registering'; readonly since: Date; readonly failures: number }
  | { readonly kind: 'registered'; readonly since: Date; readonly until: Date; readonly refreshAt: Date; readonly status: number }
  | { readonly kind: 'failed'; readonly since: Date; readonly status: number | null; readonly retryAt: Date; readonly failures: number };

export interface RegistrationBackoff {
  /** The wait after the first failure; each further one doubles it. */
  readonly retryMinMs: number;
  /** No wait is longer. */
  readonly retryMaxMs: number;
}

/** A registration trunk's settings, read off its row; undefined for a trunk that does not register. */
export interface RegistrationSettings {
  readonly uri: string;
  readonly username: string;
  readonly password: string | null;
  readonly expires: number;
  readonly didSource: TrunkDidSource;
}

export function registrationOf(trunk: Trunk): RegistrationSettings | undefined {
  if (trunk.register_uri === null || trunk.register_username === null) return undefined;
  return {
    uri: trunk.register_uri,
    username: trunk.register_username,
    password: trunk.register_password,
    expires: trunk.register_expires,
    didSource: trunk.register_did_source,
  };
}

export function initialRegistration(now: Date): RegistrationState {
  return { kind: 'unregistered', since: now };
}

/** Waits `retryMinMs`, then twice as long after each further failure in a row, never more than `retryMaxMs`. */
export function backoffMs(failures: number, backoff: RegistrationBackoff): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(backoff.retryMaxMs, backoff.retryMinMs * 2 ** doublings);
}

/**
 * The seconds a 2xx to REGISTER granted our contact. RFC 3261 §10.2.4: the registrar may shorten (never lengthen
 * beyond its own limits) what was asked; the 200 lists every binding's Contact with its `expires` parameter, which
 * wins over the Expires header, which wins over what we asked for (a registrar that says neither kept our request).
 * @example grantedSeconds(3600, { contactExpires: '4' }) // 4
 */
export function grantedSeconds(requested: number, response: { readonly contactExpires?: string; readonly expires?: string }): number {
  for (const text of [response.contactExpires, response.expires]) {
    if (text !== undefined && /^\d{1,10}$/.test(text.trim())) return Number(text.trim());
  }
  return requested;
}

/**
 * The REGISTER is on its way; failures in a row so far are kept for the backoff. A refresh leaves a registration
 * registered: its binding holds until it expires, whatever the refresh comes to.
 */
export function registering(state: RegistrationState, now: Date): RegistrationState {
  if (state.kind === 'registered') return state;
  const failures = state.kind === 'failed' || state.kind === 'registering' ? state.failures : 0;
  return { kind: 'registering', since: state.kind === 'registering' ? state.since : now, failures };
}

/**
 * What a REGISTER's final answer makes of the registration. 2xx (after any digest challenge, RFC 3261 §22, answered
 * by the SIP stack): registered for the granted time, refreshed at half of it (§10.2.4 leaves when to the UA; half
 * leaves room for a lost refresh and its retransmissions). Anything else (403 forbidden, 404, a 401 our credentials
 * did not answer, no answer at all: `status` undefined) fails it until the backoff's retry.
 */
export function afterRegister(
  state: RegistrationState,
  answer: { readonly status: number | undefined; readonly grantedSeconds?: number },
  backoff: RegistrationBackoff,
  now: Date,
): Extract<RegistrationState, { readonly kind: 'registered' | 'failed' }> {
  const { status } = answer;
  if (status !== undefined && status >= 200 && status < 300 && (answer.grantedSeconds ?? 0) > 0) {
    const seconds = answer.grantedSeconds ?? 0;
    return {
      kind: 'registered',
      since: state.kind === 'registered' ? state.since : now,
      until: new Date(now.getTime() + seconds * 1000),
      refreshAt: new Date(now.getTime() + (seconds * 1000) / 2),
      status,
    };
  }
  const failures = (state.kind === 'registering' || state.kind === 'failed' ? state.failures : 0) + 1;
  return {
    kind: 'failed',
    since: state.kind === 'failed' ? state.since : now,
    status: status ?? null,
    retryAt: new Date(now.getTime() + backoffMs(failures, backoff)),
    failures,
  };
}

/** When the next REGISTER for this registration is due (now for one never sent, none while the first is in flight). */
export function nextRegisterAt(state: RegistrationState, now: Date): Date | undefined {
  switch (state.kind) {
    case 'unregistered':
      return now;
    case 'registering':
      return undefined;
    case 'registered':
      return state.refreshAt;
    case 'failed':
      return state.retryAt;
  }
}

/**
 * Whether outbound routing skips the trunk: its registration failed (the carrier refused it, 403 say, or did not
 * answer), so the carrier will not take its calls either. A registration not yet answered does not count.
 */
export function registrationFailed(state: RegistrationState | undefined): boolean {
  return state?.kind === 'failed';
}

/**
 * The number an inbound INVITE asks for. A carrier sending calls to a registered contact addresses the contact
 * (Request-URI `sip:<our contact user>@...`: its proxy retargets the Request-URI to the binding, RFC 3261 §16.5), the
 * number being in To (`register_did_source` 'to'; such an INVITE is known by its contact user). Others put the
 * number in the Request-URI user instead ('request-uri'); the contact user is gone then, so such a carrier's INVITEs
 * are known by their source address, the trunk's inbound sources, as any carrier's. A trunk that does not register
 * has the number in the Request-URI.
 */
export function inboundDid(trunk: Trunk, invite: { readonly requestUser: string; readonly toUser: string | undefined }): string {
  if (trunk.register_uri !== null && trunk.register_did_source === 'to') return invite.toUser ?? '';
  return invite.requestUser;
}

/** A registration as the node holding its lease sees it: its state and the contact user it registered. */
export interface TrunkRegistration {
  readonly state: RegistrationState;
  /** The Contact's user part: unguessable, new each time a node takes the trunk, so INVITEs to it are the carrier's. */
  readonly contactUser: string;
}

/**
 * The registrations this node holds, by trunk id: written by the registrar loop, read by routing and inbound calls.
 * Also the trunks whose registration failed on another node holding their lease, as that node wrote it to the
 * database (core/calls/trunk-state.ts), refreshed each cache poll: routing skips those here too.
 */
export class TrunkRegistrationBoard {
  readonly #registrations = new Map<number, TrunkRegistration>();
  #failedOnHolders: ReadonlySet<number> = new Set();

  constructor(readonly backoff: RegistrationBackoff) {}

  get(trunkId: number): TrunkRegistration | undefined {
    return this.#registrations.get(trunkId);
  }

  set(trunkId: number, registration: TrunkRegistration): void {
    this.#registrations.set(trunkId, registration);
  }

  delete(trunkId: number): void {
    this.#registrations.delete(trunkId);
  }

  trunkIds(): number[] {
    return [...this.#registrations.keys()];
  }

  /** The trunk whose registered contact has this user part, if this node registered it. */
  trunkForContact(user: string): number | undefined {
    for (const [id, registration] of this.#registrations) if (registration.contactUser === user) return id;
    return undefined;
  }

  /** The trunks whose registration failed on their lease holder, as read from the database. */
  observeFailedOnHolders(trunkIds: ReadonlySet<number>): void {
    this.#failedOnHolders = trunkIds;
  }

  /**
   * Whether routing skips the trunk (core/calls/trunk-health.ts usableTrunks): its registration failed, as this node
   * sees it when it holds the registration, else as the holder last wrote it.
   */
  isDown(trunkId: number): boolean {
    const held = this.#registrations.get(trunkId);
    return held === undefined ? this.#failedOnHolders.has(trunkId) : registrationFailed(held.state);
  }
}
