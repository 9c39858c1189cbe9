/**
 * A new INVITE as a pipeline of named steps, each answering for itself: a step refuses with a SIP status +
 * X-Reason (signaling/refusals.ts: a metric and a CDR too) or hands on to the next.
 *   fromTrunk      a registration trunk's contact (Request-URI user, core/calls/trunk-registration.ts), or a trunk's
 *                  address (CIDR allow-list) -> the DID's owner rings (ring-devices.ts), or 404 unknown-did
 *   fromDevice     a live registration's address and port, else 403 source-not-allowed without a challenge
 *                  (scanners get nothing to work with), counted but not recorded (no row per packet)
 *   authenticate   digest: 407 challenge, 403 bad-credentials
 *   route          core/calls/route.ts, the one order of the rules: echo test -> echo-call.ts, a DID we host ->
 *                  ring-devices.ts (on-net), else number, abuse, rate, trunks
 *   media          a media path toward the carriers, else 488 media-unavailable
 *   hold           credit for the call (core/calls/route.ts holdCredit), else 402/403 -> trunk-call.ts
 *   (around all)   any internal error: the call's open records closed (internal-error), its holds settled or
 *                  released (closeAfterFault); srf.ts then answers 500, or 503 while the database is unreachable
 *   (before all)   a source flooding us with refused INVITEs (core/abuse/address-blocks.ts): 403 source-blocked from memory
 * Every flow ends in the same leg: call/answer-and-bridge.ts.
 */
import { FAULT_CAUSE } from '../../core/calls/call-state.ts';
import { openCdr } from '../../core/calls/cdr.ts';
import { closeFaultedRecords } from '../../core/calls/orphans.ts';
import { isRefusalReason, refusal } from '../../core/calls/refusal.ts';
import { accountPorts, holdCredit, routeCall, routeFromCarrier, type RoutePorts, type TrunkRoute } from '../../core/calls/route.ts';
import { trunkForSource, type Trunk } from '../../core/calls/trunks.ts';
import { inboundDid } from '../../core/calls/trunk-registration.ts';
import { callingNumber } from '../../core/numbers.ts';
import { isRegisteredSource } from '../../core/registrations.ts';
import { authenticateDigest, sharedSource } from '../auth/digest-auth.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import { planMedia } from '../media/media-path.ts';
import { refuseCall, refuseUnknownSource } from '../refusals.ts';
import { xReasonOf } from '../sip-reply.ts';
import { sendReply, type SrfRequest, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts } from './call-context.ts';
import { echoCall } from './echo-call.ts';
import { ringAccount } from './ring-devices.ts';
import { trunkCall } from './trunk-call.ts';
import { logAddress, logCallId } from '../../core/client-address.ts';
import type { TrunkMediaEncryption } from '../../db/schema.ts';

interface Invite {
  readonly deps: CallDeps;
  readonly req: SrfRequest;
  readonly res: SrfResponse;
  readonly facts: InviteFacts;
}

/** `facts` come from readInvite, called as the INVITE arrives (it starts watching for the CANCEL). */
export async function handleInvite(deps: CallDeps, req: SrfRequest, res: SrfResponse, facts: InviteFacts): Promise<void> {
  // One child logger per call: every line of it carries the Call-ID.
  const invite: Invite = { deps: { ...deps, logger: deps.logger.child({ callId: logCallId(facts.callId) }) }, req, res, facts };
  try {
    await fromSource(invite);
  } catch (error) {
    await closeAfterFault(invite);
    // srf.ts answers it, as any handler's error: 500 internal-error, or 503 while the database is unreachable.
    throw error;
  }
}

/**
 * Any internal error in any step (a failed write, a bug): the call's open records are closed with cause
 * internal-error and its holds settled or released, so no credit stays held and no record stays open for it.
 * Failover to the next trunk happens inside trunk-call.ts.
 */
async function closeAfterFault({ deps, facts }: Invite): Promise<void> {
  deps.metrics.callRefusals.inc({ reason: FAULT_CAUSE });
  try {
    await closeFaultedRecords(deps.db, deps.nodeId, { sipCallId: facts.callId }, new Date());
  } catch (closing) {
    // The database itself is what failed: the heartbeat closes the record once it is back (closeFaultedRecords).
    deps.logger.error({ err: closing }, 'could not close the record of a failed call');
  }
}

async function fromSource(invite: Invite): Promise<void> {
  const { deps, res, facts } = invite;
  // A flooding source costs no lookup: its answer comes from memory.
  if (deps.floods.isBlocked(facts.sourceAddress, String(facts.sourcePort), Date.now(), sharedSource(deps.auth, facts.sourceAddress, facts.transport))) {
    return refuseUnknownSource(deps, res, facts.sourceAddress, refusal('source-blocked', 'flood'));
  }
  const trunks = await deps.directory.enabledTrunks();
  // An INVITE to a contact this node registered is that trunk's, from wherever it comes (the carrier's proxies).
  const registered = deps.trunkRegistrations?.trunkForContact(facts.dialled);
  const trunk = (registered === undefined ? undefined : trunks.find((each) => each.id === registered)) ?? trunkForSource(trunks, facts.sourceAddress);
  if (trunk !== undefined) return fromTrunk(invite, trunk);
  return fromDevice(invite);
}

async function fromTrunk({ deps, req, res, facts }: Invite, trunk: Trunk): Promise<void> {
  const log = deps.logger.child({ trunk: trunk.name });
  const dialled = inboundDid(trunk, { requestUser: facts.dialled, toUser: facts.calledUser });
  const route = await routeFromCarrier({ didOwner: (number) => deps.directory.didOwner(number) }, dialled);
  if (route.kind === 'refused') {
    return refuseCall(deps, res, facts, { direction: 'inbound', accountId: null }, refusal(route.refusal.reason, `via trunk ${trunk.name}`));
  }
  return ringAccount({ ...deps, logger: log }, req, res, facts, {
    direction: 'inbound',
    callerAccountId: null,
    calleeAccountId: route.calleeAccountId,
    number: route.number,
    callerNumber: callingNumber(facts.callingUser, deps.defaultCountry),
    trunkId: trunk.id,
  });
}

async function fromDevice(invite: Invite): Promise<void> {
  const { deps, res, facts } = invite;
  if (!(await isRegisteredSource(deps.db, facts.sourceAddress, facts.sourcePort, new Date()))) {
    const shared = sharedSource(deps.auth, facts.sourceAddress, facts.transport);
    const blocked = deps.floods.strike(facts.sourceAddress, String(facts.sourcePort), Date.now(), shared);
    if (blocked !== undefined)
      deps.logger.warn({ source: logAddress(facts.sourceAddress), blocked }, 'unknown source flooding: refused from memory for a while');
    return refuseUnknownSource(deps, res, facts.sourceAddress, refusal('source-not-allowed'));
  }
  return authenticate(invite);
}

async function authenticate(invite: Invite): Promise<void> {
  const { deps, res, facts } = invite;
  const auth = await authenticateDigest(deps.auth, {
    method: 'INVITE',
    authorization: facts.proxyAuthorization,
    sourceAddress: facts.sourceAddress,
    transport: facts.transport,
  });
  if ('reply' in auth) {
    // A challenge is part of every call, not a refusal; failed credentials are.
    // Each 403 says why (bad or expired credentials, a blocked address), and the record keeps that reason.
    const reason = xReasonOf(auth.reply);
    if (auth.reply.status === 403 && isRefusalReason(reason)) return refuseCall(deps, res, facts, { direction: 'outbound', accountId: null }, refusal(reason));
    return sendReply(res, auth.reply);
  }
  const accountId = auth.pass.accountId;
  return route({ ...invite, deps: { ...deps, logger: deps.logger.child({ account: accountId }) } }, accountId);
}

async function route(invite: Invite, accountId: string): Promise<void> {
  const { deps, req, res, facts } = invite;
  let cdrId: string | undefined;
  // The account's first number, else CALLER_ID_DEFAULT: read once, when the route needs it.
  let callerIdRead: Promise<string | undefined> | undefined;
  const callerId = () => (callerIdRead ??= deps.directory.firstDidOf(accountId).then((first) => first ?? deps.defaultCallerId));
  const ports: RoutePorts = {
    ...accountPorts(deps.directory, deps.db, accountId, deps, skipped(deps)),
    recordAttempt: async (number) => {
      cdrId = await openCdr(deps.db, deps.vault, {
        sipCallId: facts.callId,
        direction: 'outbound',
        accountId,
        fromNumber: (await callerId()) ?? null,
        toNumber: number,
        nodeId: deps.nodeId,
      });
    },
  };
  const decided = await routeCall(ports, { dialled: facts.dialled, defaultCountry: deps.defaultCountry, echoTestNumber: deps.echoTest?.number });
  switch (decided.kind) {
    case 'echo':
      return echoCall(deps, req, res, facts, accountId, decided.number, deps.echoTest?.maxSeconds ?? 0);
    case 'on-net':
      return ringAccount(deps, req, res, facts, {
        direction: 'onnet',
        callerAccountId: accountId,
        calleeAccountId: decided.calleeAccountId,
        number: decided.number,
        callerNumber: (await callerId()) ?? null,
      });
    case 'refused':
      return refuseCall(deps, res, facts, { direction: 'outbound', accountId, ...(cdrId === undefined ? {} : { cdrIds: [cdrId] }) }, decided.refusal);
    case 'trunks':
      // The route asked every port, so a call routed to the trunks has its record.
      if (cdrId === undefined) throw new Error('routed to the trunks without a record');
      return media({ ...invite, accountId, cdrId, route: decided, callerId: await callerId() });
  }
}

interface ToTrunks extends Invite {
  readonly accountId: string;
  readonly cdrId: string;
  readonly route: TrunkRoute;
  readonly callerId: string | undefined;
}

/**
 * Carriers speak plain RTP, or SDES-SRTP on a trunk that says so (its first choice decides): a browser's WebRTC offer,
 * or any offer to an SRTP carrier, needs the media server in between. Decided before any credit is held.
 */
async function media(call: ToTrunks): Promise<void> {
  const { deps, res, facts } = call;
  const mediaEncryption = call.route.trunks[0]?.media_encryption ?? 'none';
  const plan = await planMedia(deps.media, facts.sdp, mediaEncryption === 'sdes' ? 'sdes' : 'rtp');
  if (!plan.ok) return refuseCall(deps, res, facts, refusedFor(call), refusal('media-unavailable', plan.detail));
  try {
    return await hold(call, plan.path, mediaEncryption);
  } finally {
    plan.path.release();
  }
}

async function hold(call: ToTrunks, path: MediaPath, mediaEncryption: TrunkMediaEncryption): Promise<void> {
  const { deps, res, facts, route } = call;
  const held = await holdCredit(deps.db, call.accountId, deps, route, call.cdrId);
  if (!held.ok) return refuseCall(deps, res, facts, refusedFor(call), held.refusal);
  const leg = {
    accountId: call.accountId,
    cdrId: call.cdrId,
    number: route.number,
    callerId: call.callerId,
    trunks: route.trunks,
    held: held.held,
    media: path,
    mediaEncryption,
  };
  return trunkCall(deps, call.req, res, facts, leg);
}

/** The trunks routing skips on this node: down by OPTIONS pings, or their registration failed (403, say). */
function skipped(deps: CallDeps): { isDown(trunkId: number): boolean } {
  return { isDown: (trunkId) => deps.trunkHealth?.isDown(trunkId) === true || deps.trunkRegistrations?.isDown(trunkId) === true };
}

const refusedFor = (call: ToTrunks) => ({ direction: 'outbound' as const, accountId: call.accountId, cdrIds: [call.cdrId] });
