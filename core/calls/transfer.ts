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
export type TransferRefusalReason = 'bad-refer-to' | 'transfer-not-allowed';

/**
 * The dialog a Refer-To's Replaces names (RFC 3891 §6.1), as the transferor sees it: `toTag` is the tag of the far end
 * of the transferor's dialog (ours, the B2BUA's), `fromTag` the transferor's own.
 */
export interface Replaces {
  readonly callId: string;
  readonly toTag: string;
  readonly fromTag: string;
}

/** What a Refer-To header asks for. */
export type ReferTo =
  | { readonly kind: 'blind'; readonly dialled: string }
  | { readonly kind: 'attended'; readonly replaces: Replaces }
  | { readonly kind: 'refused'; readonly reason: TransferRefusalReason; readonly detail: string };

/** `"Name" <sip:user@host;params?headers>`, `<tel:+1...>` or a bare URI (RFC 3515 §2.1, RFC 3261 §20.10). */
const REFER_TO = /^\s*(?:"[^"]*"\s*|[^<"]*?\s*)?<([^>]*)>\s*(?:;.*)?$|^\s*([^\s<>;]+)(?:;.*)?$/;

/**
 * Reads a REFER's Refer-To: a target to dial (blind), or with Replaces (RFC 3891) the transferor's other call whose
 * remaining party takes the place of this one's (attended).
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
  // URI headers (RFC 3261 §19.1.1): escaped name=value pairs joined by &, names in any case; a + is a plus.
  const uriHeaders = [...new URLSearchParams((headers ?? '').replace(/\+/g, '%2B'))];
  const replaces = uriHeaders.find(([name]) => name.toLowerCase() === 'replaces')?.[1];
  if (replaces !== undefined) {
    const named = readReplaces(replaces);
    return named === undefined ? bad('Replaces is not call-id;to-tag=...;from-tag=...') : { kind: 'attended', replaces: named };
  }
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

/** `callid;to-tag=a;from-tag=b` (RFC 3891 §6.1; other parameters such as early-only are ignored), unescaped already. */
function readReplaces(value: string): Replaces | undefined {
  const [callId = '', ...params] = value.split(';').map((part) => part.trim());
  const tag = (name: string) => params.find((param) => param.toLowerCase().startsWith(`${name}=`))?.slice(name.length + 1);
  const toTag = tag('to-tag');
  const fromTag = tag('from-tag');
  if (callId === '' || !toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag };
}

/** A dialog's identifiers as the B2BUA holds it (drachtio's `dialog.sip`). */
export interface DialogIds {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

/**
 * Whether Replaces names this dialog of ours with the transferor: the transferor's to-tag is our local tag and its
 * from-tag our remote one (RFC 3891 §3, the recipient's view of the dialog).
 * @example
 * namesDialog({ callId: 'c', toTag: 'ours', fromTag: 'theirs' }, { callId: 'c', localTag: 'ours', remoteTag: 'theirs' }); // true
 */
export function namesDialog(replaces: Replaces, dialog: DialogIds): boolean {
  return replaces.callId === dialog.callId && replaces.toTag === dialog.localTag && replaces.fromTag === dialog.remoteTag;
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

/**
 * What an attended transfer's joined call costs: the two remaining parties talk on, paid by the transferor. Any carrier
 * party makes it a carrier call, rated and held as the transferor dialling that party's number (the first carrier
 * party's: the one in the call the REFER came in); two parties of ours talk free, on-net.
 * @example
 * joinedCallPayment({ accountId: null, recordId: null, number: '+14155550100' }, bob); // { kind: 'carrier', number: '+14155550100' }
 */
export function joinedCallPayment(
  referredParty: TransferParty,
  replacingParty: TransferParty,
): { readonly kind: 'on-net' } | { readonly kind: 'carrier'; readonly number: string } | { readonly kind: 'refused'; readonly refusal: Refusal } {
  const carrier = [referredParty, replacingParty].find((party) => party.accountId === null);
  if (carrier === undefined) return { kind: 'on-net' };
  if (carrier.number === null) return { kind: 'refused', refusal: refusal('no-rate', "the carrier party's number is unknown: nothing to rate") };
  return { kind: 'carrier', number: carrier.number };
}
