/**
 * A trunk's dialling rules: how its carrier wants the dialled number written (the Request-URI and To user part),
 * how it is told who calls (From, P-Asserted-Identity per RFC 3325, `Privacy: id` per RFC 3323), and which codecs it
 * should see first in our offer. Decided here, from the trunk's row; signaling/invite/trunk-call.ts only applies it.
 */
import { parsePhoneNumber } from 'libphonenumber-js/max';
import type { TrunkCallerIdHeader, TrunkNumberFormat } from '../../db/schema.ts';
import { isE164, type E164 } from '../numbers.ts';

export const NUMBER_FORMATS: readonly TrunkNumberFormat[] = ['e164', 'e164-no-plus', 'national'];
export const CALLER_ID_HEADERS: readonly TrunkCallerIdHeader[] = ['from', 'pai'];
export const MAX_CODECS = 10;

export interface DiallingRules {
  readonly number_format: TrunkNumberFormat;
  readonly tech_prefix: string | null;
  readonly caller_id_header: TrunkCallerIdHeader;
  readonly caller_id_withheld: boolean;
  readonly codec_order: readonly string[] | null;
}

/** RFC 3323 §4.1.1.3: the From of a caller who withholds their identity. */
export const ANONYMOUS_FROM = '"Anonymous" <sip:anonymous@anonymous.invalid>';

/** The rules a trunk has when nothing is set: E.164 with its `+`, the caller in From, the offer as it is. */
export const DEFAULT_DIALLING_RULES: DiallingRules = {
  number_format: 'e164',
  tech_prefix: null,
  caller_id_header: 'from',
  caller_id_withheld: false,
  codec_order: null,
};

/** A sentence saying what is wrong with the rules (for the operator's 400), or undefined when they are usable. */
export function diallingRulesProblem(rules: DiallingRules): string | undefined {
  if (!NUMBER_FORMATS.includes(rules.number_format)) return `number format is one of ${NUMBER_FORMATS.join(', ')}`;
  if (rules.tech_prefix !== null && !/^\d{1,10}$/.test(rules.tech_prefix)) return 'a tech prefix is 1-10 digits';
  if (!CALLER_ID_HEADERS.includes(rules.caller_id_header)) return `caller ID header is one of ${CALLER_ID_HEADERS.join(', ')}`;
  if (rules.caller_id_withheld && rules.caller_id_header !== 'pai')
    return 'a withheld caller ID needs caller ID header pai: the carrier still needs the number, in P-Asserted-Identity';
  if (rules.codec_order !== null) {
    if (rules.codec_order.length > MAX_CODECS) return `at most ${MAX_CODECS} codecs in the codec order`;
    const seen = new Set<string>();
    for (const codec of rules.codec_order) {
      if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$/.test(codec)) return `codec ${codec || '(empty)'} is not a codec name such as PCMU, PCMA or opus`;
      if (seen.has(codec.toUpperCase())) return `codec ${codec} is listed twice`;
      seen.add(codec.toUpperCase());
    }
  }
  return undefined;
}

/**
 * A number as the trunk writes it: `+14155550100`, `14155550100` or, for `national`, the digits dialled inside the
 * number's own country (libphonenumber's national format, separators dropped: `02079460958`, `4155550100`).
 */
export function formatNumber(number: E164, format: TrunkNumberFormat): string {
  if (format === 'e164') return number;
  if (format === 'e164-no-plus') return number.slice(1);
  return parsePhoneNumber(number).formatNational().replace(/\D/g, '');
}

export interface DialString {
  /** The Request-URI's (and To's) user part. */
  readonly user: string;
  /** Headers for the INVITE: From, and P-Asserted-Identity and Privacy when the rules say. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * @param callerId the number the call presents (the account's first DID or CALLER_ID_DEFAULT); undefined: none.
 * @param at the trunk's URI scheme and host, for the From and P-Asserted-Identity URIs.
 * @example
 * dialString('+442079460958' as E164, '+14155550199', { ...DEFAULT_DIALLING_RULES, number_format: 'national', tech_prefix: '99' }, { scheme: 'sip', host: 'sbc.example' });
 * // { user: '9902079460958', headers: { From: '<sip:4155550199@sbc.example>' } }: the caller ID in the same format, unprefixed
 */
export function dialString(
  number: E164,
  callerId: string | undefined,
  rules: DiallingRules,
  at: { readonly scheme: string; readonly host: string },
): DialString {
  const user = `${rules.tech_prefix ?? ''}${formatNumber(number, rules.number_format)}`;
  const headers: Record<string, string> = {};
  const caller = callerId === undefined ? undefined : `<${at.scheme}:${isE164(callerId) ? formatNumber(callerId, rules.number_format) : callerId}@${at.host}>`;
  if (rules.caller_id_withheld) {
    headers.From = ANONYMOUS_FROM;
    headers.Privacy = 'id';
  } else if (caller !== undefined) {
    headers.From = caller;
  }
  if (rules.caller_id_header === 'pai' && caller !== undefined) headers['P-Asserted-Identity'] = caller;
  return { user, headers };
}

/** Payload types every SDP knows without an rtpmap line (RFC 3551 table 4). */
const STATIC_PAYLOADS: Readonly<Record<string, string>> = { '0': 'PCMU', '3': 'GSM', '4': 'G723', '8': 'PCMA', '9': 'G722', '18': 'G729' };

/**
 * The offer with each audio m= line's payload types reordered: the codecs of `order` first, in its order (names
 * compared without case), the others after them as they were. Nothing is removed; an SDP without such codecs is
 * returned unchanged.
 * @example orderCodecs(sdp, ['PCMA', 'PCMU']) // m=audio 4000 RTP/AVP 0 8 101 -> m=audio 4000 RTP/AVP 8 0 101
 */
export function orderCodecs(sdp: string, order: readonly string[] | null): string {
  if (order === null || order.length === 0) return sdp;
  const rank = new Map(order.map((codec, index) => [codec.toUpperCase(), index]));
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  // Each media section: its m= line's index, and the codec name of each payload type from its rtpmap lines.
  const sections: { line: number; names: Map<string, string> }[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.startsWith('m=')) sections.push({ line: index, names: new Map() });
    const rtpmap = /^a=rtpmap:(\d+) ([^/\s]+)/.exec(line);
    if (rtpmap !== null) sections.at(-1)?.names.set(rtpmap[1]!, rtpmap[2]!.toUpperCase());
  }
  for (const { line, names } of sections) {
    const media = /^(m=audio \S+ \S+) (.+)$/.exec(lines[line]!);
    if (media === null) continue;
    const payloads = media[2]!.trim().split(/\s+/);
    const rankOf = (pt: string) => rank.get(names.get(pt) ?? STATIC_PAYLOADS[pt] ?? '') ?? order.length;
    const sorted = payloads.map((pt, index) => ({ pt, index })).sort((a, b) => rankOf(a.pt) - rankOf(b.pt) || a.index - b.index);
    lines[line] = `${media[1]} ${sorted.map(({ pt }) => pt).join(' ')}`;
  }
  return lines.join(eol);
}
