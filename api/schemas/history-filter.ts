/** The query that narrows a user's own call history: shared by GET /calls, its CSV export and the usage summary. */
import { Type, type Static } from '@sinclair/typebox';
import { DIRECTION_FILTERS, OUTCOME_FILTERS, type HistoryFilter } from '../../core/calls/history-filter.ts';
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
};

type HistoryFilterParams = { [K in keyof typeof HistoryFilterQuery]?: Static<(typeof HistoryFilterQuery)[K]> };

/**
 * The filter a validated query asks for; a range that ends before it starts is a 400.
 * @example const filter = historyFilterOf(request.query as HistoryFilterParams);
 */
export function historyFilterOf(query: HistoryFilterParams): HistoryFilter {
  const from = query.from === undefined ? undefined : new Date(query.from);
  const to = query.to === undefined ? undefined : new Date(query.to);
  if (from !== undefined && to !== undefined && from >= to) throw new HttpProblem(400, 'Bad Request', '`from` must be before `to`');
  return {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(query.direction === undefined ? {} : { direction: query.direction }),
    ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
    ...(query.country === undefined ? {} : { country: query.country }),
  };
}
