/**
 * A blind transfer (REFER, RFC 3515), decided here and acted on by signaling/call/transfer.ts. The rules
 * (docs/architecture.md, "Transfers"):
 *   - Only a user of ours can transfer: the party that sent REFER must be a leg with an account (a browser or desk
 *     phone); a carrier's REFER is refused (`transfer-not-allowed`).
 *   - The target is routed exactly as a call that user dials (core/calls/route.ts `routeCall` over that account's
 *     ports): number parsing, a DID we host (on-net, free), the abuse rules (blocked prefixes, allowed countries,
 *     suspension, call rate), a rate; then, for a carrier target, credit held on that account (`holdCredit`, the
 *     same reservation as a dialled call, so the new leg never overspends: it is cut at the hold's limit).
 *   - The user who transferred pays for the new leg, at their own rates, whoever the remaining party is.
 *   - Records: the original call's records end at the transfer (cause `transferred`), billed as usual up to then
 *     (a hold settled for the seconds talked). The new leg gets records of its own (the payer's, and the target
 *     user's when on-net), each naming the payer's record of the original call in `transferred_from` (0052).
 *   - A new leg that fails (busy, no answer, no trunk) leaves the original call up and unchanged.
 */
import { routeCall, type Route, type RouteFacts, type RoutePorts } from './route.ts';
import { refusal, type Refusal } from './refusal.ts';

/** The cause the original call's records end with when a transfer took its remaining party elsewhere. */
export const TRANSFERRED_CAUSE = 'transferred';

/** Why a REFER itself (not its target) is refused. */
export type TransferRefusalReason = 'bad-refer-to' | 'attended-transfer-unsupported' | 'transfer-not-allowed';

/** What a Refer-To header asks for. */
export type ReferTo =
  { readonly kind: 'blind'; readonly dialled: string } | { readonly kind: 'refused'; readonly reason: TransferRefusalReason; readonly detail: string };

/** `"Name" <sip:user@host;params?headers>`, `<tel:+1...>` or a bare URI (RFC 3515 §2.1, RFC 3261 §20.10). */
const REFER_TO = /^\s*(?:"[^"]*"\s*|[^<"]*?\s*)?<([^>]*)>\s*(?:;.*)?$|^\s*([^\s<>;]+)(?:;.*)?$/;

/**
 * Reads a REFER's Refer-To. A target with Replaces (an attended transfer, RFC 3891) is not carried out here.
 * @example
 * readReferTo('<sip:+14155550100@dialo.example>'); // { kind: 'blind', dialled: '+14155550100' }
 */
export function readReferTo(header: string | undefined): ReferTo {
  const bad = (detail: string): ReferTo => ({ kind: 'refused', reason: 'bad-refer-to', detail });
  if (header === undefined || header.trim() === '') return bad('no Refer-To');
  const match = REFER_TO.exec(header);
  const uri = match?.[1] ?? match?.[2];
  if (uri === undefined) return bad('Refer-To is not a URI');
  const [address = '', headers] = uri.split('?', 2);
  if (headers !== undefined && /(^|&)replaces=/i.test(headers))
    return { kind: 'refused', reason: 'attended-transfer-unsupported', detail: 'Refer-To carries Replaces (RFC 3891)' };
  const parts = /^(sips?|tel):([^@;]+)/i.exec(address);
  if (parts === null) return bad(`Refer-To scheme not sip, sips or tel: ${address.slice(0, 40)}`);
  let dialled: string;
  try {
    dialled = decodeURIComponent(parts[2]!);
  } catch {
    return bad('Refer-To user part is not valid escaping');
  }
  // tel: and a sip user part may carry visual separators (RFC 3966 §5.1.1); routing wants the digits.
  return { kind: 'blind', dialled: dialled.replace(/[-.()\s]/g, '') };
}

/** One side of a bridged call as a transfer sees it: the account behind it (null: a carrier) and its record. */
export interface TransferParty {
  readonly accountId: string | null;
  readonly recordId: string | null;
  /** The number the other parties see for it (a carrier caller's calling number, a user's DID); null: unknown. */
  readonly number: string | null;
}

export type Transferor =
  | { readonly ok: true; readonly payer: string; readonly transferredFrom: string }
  | { readonly ok: false; readonly reason: TransferRefusalReason; readonly detail: string };

/**
 * Who pays for the leg a REFER asks for: the user who sent it, named by their own record of the call.
 * @example
 * const who = transferorOf({ accountId: alice, recordId: aliceCdr, number: null }); // { ok: true, payer: alice, ... }
 */
export function transferorOf(referrer: TransferParty): Transferor {
  if (referrer.accountId === null || referrer.recordId === null)
    return { ok: false, reason: 'transfer-not-allowed', detail: 'only a user of ours can transfer a call' };
  return { ok: true, payer: referrer.accountId, transferredFrom: referrer.recordId };
}

/** Where the new leg goes: a user's devices (free), or the trunks (rated, credit held), or nowhere. */
export type TransferTarget = Extract<Route, { kind: 'on-net' | 'trunks' }> | { readonly kind: 'refused'; readonly refusal: Refusal };

/**
 * The routed target as a transfer takes it: the echo test is no place to send another party (403).
 * @example
 * const target = transferTarget(await routeCall(accountPorts(...), facts));
 */
export function transferTarget(route: Route): TransferTarget {
  if (route.kind === 'echo') return { kind: 'refused', refusal: refusal('destination-not-allowed', 'the echo test is not a transfer target') };
  if (route.kind === 'refused') return { kind: 'refused', refusal: route.refusal };
  return route;
}

/**
 * Routes a transfer's target as the payer dialling it: `ports` are the payer's (`accountPorts`), with the attempt's
 * record opened as the payer's record of the new leg (`transferred_from` set). A carrier target then needs
 * `holdCredit` on the payer's account, as a dialled call does.
 * @example
 * const target = await routeTransfer({ ...accountPorts(directory, db, payer, policy), recordAttempt }, facts);
 */
export async function routeTransfer(ports: RoutePorts, facts: RouteFacts): Promise<TransferTarget> {
  return transferTarget(await routeCall(ports, facts));
}

/** The new leg's records: its direction on the payer's record, and whether the target user gets one of their own. */
export function transferLegRecords(target: Exclude<TransferTarget, { kind: 'refused' }>): {
  readonly direction: 'outbound' | 'onnet';
  readonly targetAccountId: string | null;
} {
  return target.kind === 'trunks' ? { direction: 'outbound', targetAccountId: null } : { direction: 'onnet', targetAccountId: target.calleeAccountId };
}
