/**
 * Which of a user's own calls a history view, its CSV export and the usage summary take: a start-time range, the
 * direction, how it turned out, the destination country and a number. Applied in SQL, on the (account_id, started_at) index.
 */
import { sql, type ExpressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { E164 } from '../numbers.ts';
import type { Vault } from '../privacy/vault.ts';

/** `out`: calls the user placed to carriers (and the echo test); `in`: carriers' calls to the user's numbers; `onnet`: between users of this server, either side (a record does not say which). */
export type DirectionFilter = 'in' | 'out' | 'onnet';
/** `missed`: never answered because nobody picked up, the line was busy or declined, or the caller gave up; `failed`: refused or failed otherwise. */
export type OutcomeFilter = 'answered' | 'missed' | 'failed';

export interface HistoryFilter {
  /** Calls started at or after. */
  readonly from?: Date;
  /** Calls started before. */
  readonly to?: Date;
  readonly direction?: DirectionFilter;
  readonly outcome?: OutcomeFilter;
  /** ISO 3166 alpha-2, of the number called (cdrs.destination_country). */
  readonly country?: string;
  /** A number at either end of the call, whole: records hold numbers sealed, so no part of one can be searched for. */
  readonly number?: E164;
}

/** A filter as the database applies it: its number sealed as the account's records hold it ({@link sealFilter}). */
export type SealedHistoryFilter = Omit<HistoryFilter, 'number'> & { readonly sealedNumber?: string };

/**
 * Seals the filter's number under the account's key, deterministically as core/calls/cdr.ts seals the records', so
 * the database can compare it with them.
 * @example const filter = await sealFilter(db, vault, accountId, { number: '+442079460958' as E164 });
 */
export async function sealFilter(db: Kysely<Database>, vault: Vault, accountId: string, filter: HistoryFilter): Promise<SealedHistoryFilter> {
  const { number, ...rest } = filter;
  if (number === undefined) return rest;
  return { ...rest, sealedNumber: await vault.seal(db, accountId, number, { deterministic: true }) };
}

export const DIRECTION_FILTERS: readonly DirectionFilter[] = ['in', 'out', 'onnet'];
export const OUTCOME_FILTERS: readonly OutcomeFilter[] = ['answered', 'missed', 'failed'];

const DIRECTIONS = { in: ['inbound'], out: ['outbound', 'echo'], onnet: ['onnet'] } as const;

/** SIP final responses that mean nobody answered (RFC 3261 §21): timeout, unavailable, busy, terminated, declined. */
const UNANSWERED_STATUSES = [408, 480, 486, 487, 600, 603];

type Cdrs = ExpressionBuilder<Database, 'cdrs'>;

/**
 * Whether a record is a missed call, as the `missed` filter reads it in SQL (kept together: a test checks they agree):
 * unanswered, and the caller gave up or nobody picked up (a callee woken by push that did not register: 480).
 * @example isMissed({ phase: 'failed', sip_status: 480, answered_at: null }) // true
 */
export function isMissed(record: { readonly phase: string; readonly sip_status: number | null; readonly answered_at: Date | null }): boolean {
  if (record.answered_at !== null) return false;
  return record.phase === 'cancelled' || (record.phase === 'failed' && record.sip_status !== null && UNANSWERED_STATUSES.includes(record.sip_status));
}

// Constants as literals, not parameters: the operator export runs this condition inside COPY, which takes none.
const phaseIs = (eb: Cdrs, phases: readonly string[]) =>
  eb(
    'phase',
    'in',
    phases.map((phase) => sql.lit(phase)),
  );

function missed(eb: Cdrs): Expression<SqlBool> {
  const statuses = UNANSWERED_STATUSES.map((status) => eb.lit(status));
  return eb.or([phaseIs(eb, ['cancelled']), eb.and([phaseIs(eb, ['failed']), eb('sip_status', 'in', statuses)])]);
}

/**
 * Records that turned out as `outcome`, as one condition carrying no parameters: the user's history filter and the
 * operator's CDR export (core/calls/cdr-export.ts) share it.
 * @example db.selectFrom('cdrs').selectAll().where((eb) => outcomeIs(eb, 'failed'))
 */
export function outcomeIs(eb: Cdrs, outcome: OutcomeFilter): Expression<SqlBool> {
  if (outcome === 'answered') return eb('answered_at', 'is not', null);
  const unanswered = eb('answered_at', 'is', null);
  if (outcome === 'missed') return eb.and([unanswered, missed(eb)]);
  return eb.and([unanswered, phaseIs(eb, ['refused', 'failed']), eb.not(sql<SqlBool>`coalesce(${missed(eb)}, false)`)]);
}

/**
 * The account's records that pass the filter, as one condition.
 * @example db.selectFrom('cdrs').selectAll().where((eb) => historyWhere(eb, accountId, { outcome: 'missed' }))
 */
export function historyWhere(eb: Cdrs, accountId: string, filter: SealedHistoryFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [eb('account_id', '=', accountId)];
  if (filter.from !== undefined) conditions.push(eb('started_at', '>=', filter.from));
  if (filter.to !== undefined) conditions.push(eb('started_at', '<', filter.to));
  if (filter.direction !== undefined) conditions.push(eb('direction', 'in', [...DIRECTIONS[filter.direction]]));
  if (filter.outcome !== undefined) conditions.push(outcomeIs(eb, filter.outcome));
  if (filter.country !== undefined) conditions.push(eb('destination_country', '=', filter.country));
  const sealed = filter.sealedNumber;
  if (sealed !== undefined) conditions.push(eb.or([eb('from_number', '=', sealed), eb('to_number', '=', sealed)]));
  return eb.and(conditions);
}
