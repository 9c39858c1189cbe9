/** The query that narrows a user's own call history: shared by GET /calls, its CSV export and the usage summary. */
import { Type, type Static } from '@sinclair/typebox';
import { DIRECTION_FILTERS, OUTCOME_FILTERS, sealFilter, type SealedHistoryFilter } from '../../core/calls/history-filter.ts';
import { toE164 } from '../../core/numbers.ts';
import type { ApiDeps } from '../app.ts';
import { HttpProblem } from '../plugins/errors.ts';

export const HistoryFilterQuery = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'calls started at or after (ISO 8601 with an offset)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'calls started before' })),
  direction: Type.Optional(
    Type.Union(
      DIRECTION_FILTERS.map((value) => Type.Literal(value)),
      { description: 'out: calls you placed (and echo tests); in: calls to your numbers; onnet: between users of this server, either way' },
    ),
  ),
  outcome: Type.Optional(
    Type.Union(
      OUTCOME_FILTERS.map((value) => Type.Literal(value)),
      { description: 'missed: not answered because nobody picked up, busy, declined or cancelled; failed: refused or failed otherwise' },
    ),
  ),
  country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166 alpha-2 country of the number called' })),
  number: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'a whole phone number at either end of the call, as dialled (national numbers in the default country)',
    }),
  ),
};

export type HistoryFilterParams = { [K in keyof typeof HistoryFilterQuery]?: Static<(typeof HistoryFilterQuery)[K]> };

/**
 * The filter a validated query asks for, its number sealed for the caller's records; a range that ends before it
 * starts, or a number that is not one, is a 400.
 * @example const filter = await historyFilterOf(deps, accountId, request.query as HistoryFilterParams);
 */
export async function historyFilterOf(
  deps: Pick<ApiDeps, 'db' | 'privacy' | 'defaultCountry'>,
  accountId: string,
  query: HistoryFilterParams,
): Promise<SealedHistoryFilter> {
  const from = query.from === undefined ? undefined : new Date(query.from);
  const to = query.to === undefined ? undefined : new Date(query.to);
  if (from !== undefined && to !== undefined && from >= to) throw new HttpProblem(400, 'Bad Request', '`from` must be before `to`');
  const number = query.number === undefined ? undefined : toE164(query.number, deps.defaultCountry);
  if (number !== undefined && !number.ok) throw new HttpProblem(400, 'Bad Request', `not a phone number: ${number.error.reason}`);
  return sealFilter(deps.db, deps.privacy.tools.vault, accountId, {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(query.direction === undefined ? {} : { direction: query.direction }),
    ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
    ...(query.country === undefined ? {} : { country: query.country }),
    ...(number === undefined ? {} : { number: number.e164 }),
  });
}
