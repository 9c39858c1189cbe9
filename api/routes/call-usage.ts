/** Spend and usage from the caller's own history: a CSV of the filtered calls, and sums per day and per country. */
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import type { FastifyInstance } from 'fastify';
import { allCallHistory, type CallRecord } from '../../core/calls/history.ts';
import { usageSummary, type UsageTotals } from '../../core/calls/usage.ts';
import { formatDecimal, micros } from '../../core/money.ts';
import type { ApiDeps } from '../app.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { HistoryFilterQuery, historyFilterOf, type HistoryFilterParams } from '../schemas/history-filter.ts';
import { problems } from '../schemas/problem.ts';

const DAY_MS = 86_400_000;
/** The default span of the summary, and the longest one asked for at once. */
const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

/** The export's columns, in order: times in ISO 8601 UTC, amounts in currency units as decimal text. */
const CSV_COLUMNS = [
  'id',
  'started_at',
  'answered_at',
  'ended_at',
  'direction',
  'from',
  'to',
  'country',
  'outcome',
  'reason',
  'talk_seconds',
  'billable_seconds',
  'cost',
  'currency',
] as const;

function csvRow(call: CallRecord, currency: string): Record<(typeof CSV_COLUMNS)[number], string | number | null> {
  const talk = call.answered_at !== null && call.ended_at !== null ? Math.ceil((call.ended_at.getTime() - call.answered_at.getTime()) / 1000) : null;
  return {
    id: call.id,
    started_at: call.started_at.toISOString(),
    answered_at: call.answered_at?.toISOString() ?? null,
    ended_at: call.ended_at?.toISOString() ?? null,
    direction: call.direction,
    from: call.from_number,
    to: call.to_number,
    country: call.destination_country,
    outcome: call.phase,
    reason: call.refusal_reason ?? call.hangup_cause,
    talk_seconds: talk,
    billable_seconds: call.billable_seconds,
    cost: call.cost === null ? null : formatDecimal(micros(call.cost)),
    currency: call.cost === null ? null : currency,
  };
}

const Totals = {
  calls: Type.Integer(),
  seconds: Type.Integer({ description: 'answered time, each call rounded up to the second' }),
  spend: Type.String({ description: 'currency units' }),
};

const UsageSchema = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  currency: Type.String(),
  days: Type.Array(Type.Object({ day: Type.String({ format: 'date', description: 'UTC' }), ...Totals }), { description: 'days with calls, oldest first' }),
  countries: Type.Array(
    Type.Object({ country: Type.Union([Type.String(), Type.Null()], { description: 'ISO 3166 alpha-2; null: none or unknown' }), ...Totals }),
    {
      description: 'by spend, then time, most first',
    },
  ),
  total: Type.Object(Totals),
});

const totalsDto = (totals: UsageTotals) => ({ calls: totals.calls, seconds: totals.seconds, spend: formatDecimal(totals.spend) });

export function callUsageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/calls/export',
    {
      schema: {
        description: `Your own calls that pass the filters, newest first, as CSV (streamed; columns ${CSV_COLUMNS.join(', ')}).`,
        querystring: Type.Object(HistoryFilterQuery),
        response: { 200: Type.String({ description: 'text/csv' }), ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const { accountId } = requireCaller(request);
      const filter = await historyFilterOf(deps, accountId, request.query as HistoryFilterParams);
      const currency = deps.billing.currency;
      const rows = Readable.from(allCallHistory(deps.db, deps.privacy.tools.vault, accountId, filter), { objectMode: true }).map((call: CallRecord) =>
        csvRow(call, currency),
      );
      reply.header('content-disposition', `attachment; filename="dialo-calls-${new Date().toISOString().slice(0, 10)}.csv"`);
      reply.type('text/csv; charset=utf-8');
      return reply.send(rows.pipe(stringify({ header: true, columns: [...CSV_COLUMNS] })));
    },
  );

  app.get(
    '/calls/usage',
    {
      schema: {
        description: `Talk time and spend of your own calls that pass the filters, per day (UTC) and per destination country; \`from\` defaults to ${DEFAULT_DAYS} days before \`to\` (now), at most ${MAX_DAYS} days.`,
        querystring: Type.Object(HistoryFilterQuery),
        response: { 200: UsageSchema, ...problems(400, 401) },
      },
    },
    async (request) => {
      const { accountId } = requireCaller(request);
      const asked = await historyFilterOf(deps, accountId, request.query as HistoryFilterParams);
      const to = asked.to ?? new Date();
      const from = asked.from ?? new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
      if (from >= to) throw new HttpProblem(400, 'Bad Request', '`from` must be before `to`');
      if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) throw new HttpProblem(400, 'Bad Request', `a summary spans at most ${MAX_DAYS} days`);
      const usage = await usageSummary(deps.db, accountId, { ...asked, from, to });
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        currency: deps.billing.currency,
        days: usage.days.map((day) => ({ day: day.day, ...totalsDto(day) })),
        countries: usage.countries.map((country) => ({ country: country.country, ...totalsDto(country) })),
        total: totalsDto(usage.total),
      } satisfies Static<typeof UsageSchema>;
    },
  );
}
