/**
 * Where a call a user dials goes: the one ordered list of rules, shared by the INVITE flow
 * (signaling/invite/handle-invite.ts) and the quote route (api/routes/calls.ts). A decision over small read ports,
 * so the order is tested on both dialects without SIP (test/core/calls/route.test.ts):
 *   echo test number (as dialled, before parsing: `*43` is no phone number) -> echo
 *   E.164                                      -> refused bad-number
 *   a DID we host                              -> on-net (its owner's devices ring, free)
 *   [the attempt is recorded: the abuse rules count it]
 *   abuse rules                                -> refused (account-suspended, destination-*, calls-per-minute)
 *   a rate                                     -> refused no-rate
 *                                              -> trunks (rate, hold limits, the trunks by priority)
 * It holds nothing. The INVITE flow then opens the media path (488 media-unavailable: a call that cannot carry audio
 * never touches the ledger) and asks `holdCredit`:
 *   credit, within the concurrency and spend limits -> refused no-credit, too-many-calls, daily-spend-cap
 *   a trunk to take it                         -> refused no-trunk (the hold let go)
 * A port left out skips its rule: the quote prices a call, it does not place one (no attempt, abuse or trunk check).
 */
import type { Kysely } from 'kysely';
import type { Database, Rate } from '../../db/schema.ts';
import { checkCallRules, type CallRulesVerdict } from '../abuse/call-rules.ts';
import type { AbusePolicy } from '../abuse/policy.ts';
import { findRate } from '../billing/rating.ts';
import { release, reserve, type ReservationLimits, type ReserveResult } from '../billing/reservations.ts';
import { toE164, type E164, type NumberError } from '../numbers.ts';
import { didOwner } from './dids.ts';
import { refusal, type Refusal } from './refusal.ts';
import type { Directory } from './directory.ts';
import { outboundTrunks, type Trunk } from './trunks.ts';
import { usableTrunks, type TrunkHealthBoard } from './trunk-health.ts';

export interface RouteFacts {
  /** The Request-URI's user part, unescaped. */
  readonly dialled: string;
  readonly defaultCountry: string | undefined;
  /** undefined: the echo test is turned off. */
  readonly echoTestNumber: string | undefined;
}

export type HoldLimits = Pick<ReservationLimits, 'maxConcurrent' | 'dailySpendCap'>;
export type Held = Extract<ReserveResult, { ok: true }>;

export interface RoutePorts {
  /** The account a hosted number rings; null: not ours, or listed but assigned to nobody. */
  didOwner(number: E164): Promise<string | null>;
  /**
   * Records the attempt before the abuse rules count attempts (racing calls then see each other): the one write, as
   * the attempt's record must exist before the rule that counts it.
   */
  recordAttempt?(number: E164): Promise<void>;
  callRules?(number: E164): Promise<CallRulesVerdict>;
  rate(number: E164): Promise<Rate | null>;
  /** The trunks that take outbound calls, first choice first. */
  trunks?(): Promise<readonly Trunk[]>;
}

export type Route =
  | { readonly kind: 'echo'; readonly number: string }
  | { readonly kind: 'on-net'; readonly number: E164; readonly calleeAccountId: string }
  | {
      readonly kind: 'trunks';
      readonly number: E164;
      readonly rate: Rate;
      /** The account's own hold limits (abuse rules); undefined when they were not checked. */
      readonly limits: HoldLimits | undefined;
      /** Empty when the trunks were not asked for (the quote), or none takes outbound calls (`holdCredit` refuses). */
      readonly trunks: readonly Trunk[];
    }
  | { readonly kind: 'refused'; readonly refusal: Refusal; readonly number?: E164; readonly numberError?: NumberError };

/**
 * @example
 * const route = await routeCall({ didOwner, rate }, { dialled: '+442079460958', defaultCountry: 'GB', echoTestNumber: '*43' });
 * if (route.kind === 'trunks') tariffOf(route.rate);
 */
export async function routeCall(ports: RoutePorts, facts: RouteFacts): Promise<Route> {
  if (facts.echoTestNumber !== undefined && facts.dialled === facts.echoTestNumber) return { kind: 'echo', number: facts.dialled };
  const parsed = toE164(facts.dialled, facts.defaultCountry);
  if (!parsed.ok) return { kind: 'refused', refusal: refusal('bad-number', parsed.error.reason), numberError: parsed.error };
  const number = parsed.e164;
  const refused = (why: Refusal): Route => ({ kind: 'refused', refusal: why, number });

  const owner = await ports.didOwner(number);
  if (owner !== null) return { kind: 'on-net', number, calleeAccountId: owner };

  await ports.recordAttempt?.(number);
  const rules = ports.callRules === undefined ? undefined : await ports.callRules(number);
  if (rules !== undefined && !rules.ok) return refused(rules.refusal);
  const limits = rules?.reservationLimits;

  const rate = await ports.rate(number);
  if (rate === null) return refused(refusal('no-rate'));
  const trunks = ports.trunks === undefined ? [] : await ports.trunks();
  return { kind: 'trunks', number, rate, limits, trunks };
}

export type TrunkRoute = Extract<Route, { kind: 'trunks' }>;

/**
 * Holds credit for a carrier call at the route's rate, within the account's limits and the abuse rules' own, for its
 * record `cdrId`, whether or not a trunk is up: a carrier party already connected (an attended transfer's) needs none.
 * @example
 * const hold = await holdCallCredit(db, accountId, policy, route, cdrId); // no-credit, too-many-calls, daily-spend-cap
 */
export async function holdCallCredit(
  db: Kysely<Database>,
  accountId: string,
  policy: CallerPolicy,
  route: TrunkRoute,
  cdrId: string,
): Promise<{ readonly ok: true; readonly held: Held } | { readonly ok: false; readonly refusal: Refusal }> {
  const held = await reserve(db, accountId, route.rate, { ...policy.reservationLimits, ...route.limits }, { cdrId });
  return held.ok ? { ok: true, held } : { ok: false, refusal: refusal(held.reason === 'insufficient-credit' ? 'no-credit' : held.reason) };
}

/**
 * Holds credit for a call `routeCall` sent to the trunks, within the account's limits and the abuse rules' own, for
 * its record `cdrId` (a hold left by a crash is settled from it); then refuses, letting go of the hold, when no trunk
 * takes outbound calls. Credit is checked first: a caller without any is told so, whatever the operator's trunks.
 * @example
 * const hold = await holdCredit(db, accountId, policy, route, cdrId);
 * if (!hold.ok) return refuse(hold.refusal); // no-credit, too-many-calls, daily-spend-cap, no-trunk
 */
export async function holdCredit(...args: Parameters<typeof holdCallCredit>): ReturnType<typeof holdCallCredit> {
  const [db, , , route] = args;
  const hold = await holdCallCredit(...args);
  if (!hold.ok || route.trunks.length > 0) return hold;
  await release(db, hold.held.reservationId);
  return { ok: false, refusal: refusal('no-trunk') };
}

/** A carrier's INVITE: the dialled number (carriers often leave out the `+`) must be a DID we host, assigned. */
export async function routeFromCarrier(ports: Pick<RoutePorts, 'didOwner'>, dialled: string): Promise<Extract<Route, { kind: 'on-net' | 'refused' }>> {
  const parsed = toE164(dialled.startsWith('+') ? dialled : `+${dialled}`);
  const owner = parsed.ok ? await ports.didOwner(parsed.e164) : null;
  if (!parsed.ok || owner === null) return { kind: 'refused', refusal: refusal('unknown-did') };
  return { kind: 'on-net', number: parsed.e164, calleeAccountId: owner };
}

/** The ports that read the database: where a number goes and what it costs now (the quote's). */
export function pricePorts(db: Kysely<Database>, now: Date): Pick<RoutePorts, 'didOwner' | 'rate'> {
  return { didOwner: (number) => didOwner(db, number), rate: (number) => findRate(db, number, now) };
}

export interface CallerPolicy {
  readonly abuse: AbusePolicy;
  readonly reservationLimits: ReservationLimits;
}

/**
 * The read ports for a call `accountId` places now: what operators change rarely from the node's directory (cached),
 * the account's own state from the database. The attempt's record is the caller's to add. With `health`, trunks this
 * node sees down are left out (all tried when all are: core/calls/trunk-health.ts).
 */
export function accountPorts(
  directory: Directory,
  db: Kysely<Database>,
  accountId: string,
  policy: CallerPolicy,
  health?: Pick<TrunkHealthBoard, 'isDown'>,
): Omit<RoutePorts, 'recordAttempt'> {
  return {
    didOwner: (number) => directory.didOwner(number),
    rate: (number) => directory.rate(number),
    callRules: (number) => checkCallRules(db, policy.abuse, accountId, number, new Date(), (blocked) => directory.blockingPrefix(blocked)),
    trunks: async () => usableTrunks(outboundTrunks(await directory.enabledTrunks()), health),
  };
}
