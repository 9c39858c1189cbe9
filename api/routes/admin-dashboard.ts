/**
 * The operator dashboard's data: aggregates over the call records and the ledger for a time range, each summed by
 * the database (core/operations/), and what is live now. Reads of counts and sums only, so not audited.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_DAYS, rangeProblem, type DashboardRange } from '../../core/operations/dashboard-range.ts';
import { busiestDestinations } from '../../core/operations/destinations.ts';
import { failureReasonsOf } from '../../core/operations/failure-reasons.ts';
import { liveActivity } from '../../core/operations/live-activity.ts';
import { moneyFlowOf } from '../../core/operations/money-flow.ts';
import { mosDistribution } from '../../core/operations/call-quality.ts';
import { acd, asr, trafficOf, type TrafficFigures } from '../../core/operations/traffic.ts';
import { formatDecimal, type Micros } from '../../core/money.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const DEFAULT_HOURS = 24;
const HOUR_MS = 3_600_000;

const RangeQuery = {
  from: Type.Optional(Type.String({ format: 'date-time', description: `calls started at or after; default ${DEFAULT_HOURS} hours before \`to\`` })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'calls started before; default now' })),
};
const BucketQuery = Type.Object({
  ...RangeQuery,
  bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')], {
    default: 'hour',
    description: `UTC hours (at most ${MAX_DAYS.hour} days) or days (at most ${MAX_DAYS.day} days)`,
  }),
});
const DaysQuery = Type.Object(RangeQuery, { description: `at most ${MAX_DAYS.day} days` });
const DestinationsQuery = Type.Object({ ...RangeQuery, limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) });

const Span = { from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) };
const Money = (description: string) => Type.String({ description: `${description}, in currency units` });

const TrafficFiguresSchema = {
  answered: Type.Integer(),
  failed: Type.Integer({ description: 'refused by us or failed at the carrier' }),
  cancelled: Type.Integer({ description: 'given up by the caller before an answer' }),
  talkSeconds: Type.Integer({ description: 'talk time of answered calls that are over, each rounded up to the second' }),
};
const TrafficSchema = Type.Object({
  ...Span,
  bucket: Type.String(),
  buckets: Type.Array(Type.Object({ start: Type.String({ format: 'date-time' }), ...TrafficFiguresSchema }), {
    description: 'every bucket of the range, oldest first',
  }),
  total: Type.Object({
    ...TrafficFiguresSchema,
    asr: Type.Union([Type.Number(), Type.Null()], { description: 'answered / (answered + failed + cancelled); null: no attempt' }),
    acd: Type.Union([Type.Number(), Type.Null()], { description: 'mean talk seconds of answered calls that are over; null: none' }),
  }),
});
const RefusalsSchema = Type.Object({
  ...Span,
  reasons: Type.Array(
    Type.Object({
      phase: Type.Union([Type.Literal('refused'), Type.Literal('failed')], {
        description: 'refused: by us, before any carrier; failed: at the carrier or a fault',
      }),
      reason: Type.Union([Type.String(), Type.Null()], { description: 'the refusal reason (X-Reason) or failure cause' }),
      sipStatus: Type.Union([Type.Integer(), Type.Null()]),
      calls: Type.Integer(),
    }),
    { description: 'most frequent first' },
  ),
});
const SpendSchema = Type.Object({
  ...Span,
  currency: Type.String(),
  days: Type.Array(Type.Object({ start: Type.String({ format: 'date-time' }), spend: Money('charged for calls'), topUps: Money('credited by top-ups') }), {
    description: 'every UTC day of the range, oldest first',
  }),
  total: Type.Object({ spend: Money('charged for calls'), topUps: Money('credited by top-ups') }),
});
const DestinationsSchema = Type.Object({
  ...Span,
  currency: Type.String(),
  destinations: Type.Array(
    Type.Object({
      country: Type.Union([Type.String(), Type.Null()], { description: 'ISO 3166 alpha-2; null: none or unknown' }),
      calls: Type.Integer(),
      answered: Type.Integer(),
      seconds: Type.Integer(),
      spend: Money('charged'),
    }),
    { description: 'calls placed by users, busiest first' },
  ),
});
const QualitySchema = Type.Object({
  ...Span,
  bins: Type.Array(
    Type.Object({
      mos: Type.Number({ description: 'lower bound of the half-point bin' }),
      media: Type.Integer({ description: "calls the media server scored in the bin (FreeSWITCH's MOS)" }),
      browser: Type.Integer({ description: "calls the user's browser scored in the bin" }),
    }),
    { description: '1.0 to 5.0' },
  ),
});
const LiveSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  calls: Type.Object({ answered: Type.Integer(), settingUp: Type.Integer({ description: 'being set up or ringing' }) }),
  registrations: Type.Object({ bindings: Type.Integer(), accounts: Type.Integer({ description: 'with at least one device registered' }) }),
});

/** The range asked for, defaults filled in; a 400 when it is backwards or too long for its buckets. */
function rangeOf(query: { from?: string; to?: string; bucket?: 'hour' | 'day' }): DashboardRange {
  const to = query.to === undefined ? new Date() : new Date(query.to);
  const from = query.from === undefined ? new Date(to.getTime() - DEFAULT_HOURS * HOUR_MS) : new Date(query.from);
  const range = { from, to, bucket: query.bucket ?? 'day' };
  const problem = rangeProblem(range);
  if (problem !== undefined) throw new HttpProblem(400, 'Bad Request', problem);
  return range;
}

const span = (range: DashboardRange) => ({ from: range.from.toISOString(), to: range.to.toISOString() });
const figuresDto = (figures: TrafficFigures) => ({
  answered: figures.answered,
  failed: figures.failed,
  cancelled: figures.cancelled,
  talkSeconds: figures.talkSeconds,
});

export function adminDashboardRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;
  const route = <Q extends TSchema, R extends TSchema>(
    path: string,
    description: string,
    querystring: Q,
    response: R,
    handler: (query: Static<Q>) => Promise<Static<R>>,
  ) =>
    app.get(path, { schema: { description, querystring, response: { 200: response, ...problems(400, 401, 403) } } }, async (request: FastifyRequest) => {
      requireOperator(request);
      return handler(request.query as Static<Q>);
    });

  route(
    '/admin/dashboard/traffic',
    'Calls per UTC hour or day, answered, failed and cancelled, with ASR and ACD over the range.',
    BucketQuery,
    TrafficSchema,
    async (query) => {
      const range = rangeOf(query);
      const traffic = await trafficOf(db, range);
      return {
        ...span(range),
        bucket: range.bucket,
        buckets: traffic.buckets.map((bucket) => ({ start: bucket.start, ...figuresDto(bucket) })),
        total: { ...figuresDto(traffic.total), asr: asr(traffic.total), acd: acd(traffic.total) },
      };
    },
  );

  route(
    '/admin/dashboard/refusals',
    'Calls refused by us (by reason) or failed at the carrier (by status and cause) in the range.',
    DaysQuery,
    RefusalsSchema,
    async (query) => {
      const range = rangeOf(query);
      return { ...span(range), reasons: await failureReasonsOf(db, range) };
    },
  );

  route(
    '/admin/dashboard/spend',
    'Charged for calls and credited by top-ups, per UTC day of the range, from the ledger.',
    DaysQuery,
    SpendSchema,
    async (query) => {
      const range = rangeOf(query);
      const flow = await moneyFlowOf(db, range);
      const money = (row: { spend: Micros; topUps: Micros }) => ({ spend: formatDecimal(row.spend), topUps: formatDecimal(row.topUps) });
      return { ...span(range), currency: deps.billing.currency, days: flow.days.map((day) => ({ start: day.start, ...money(day) })), total: money(flow.total) };
    },
  );

  route('/admin/dashboard/destinations', 'The destination countries users called most in the range.', DestinationsQuery, DestinationsSchema, async (query) => {
    const range = rangeOf(query);
    const destinations = await busiestDestinations(db, range, query.limit);
    return {
      ...span(range),
      currency: deps.billing.currency,
      destinations: destinations.map((destination) => ({ ...destination, spend: formatDecimal(destination.spend) })),
    };
  });

  route(
    '/admin/dashboard/quality',
    'How many calls of the range scored each half point of MOS, by the media server and by the browser.',
    DaysQuery,
    QualitySchema,
    async (query) => {
      const range = rangeOf(query);
      return { ...span(range), bins: await mosDistribution(db, range) };
    },
  );

  route('/admin/dashboard/live', 'Calls up now and devices registered now.', Type.Object({}), LiveSchema, async () => {
    const now = new Date();
    const live = await liveActivity(db, now);
    return {
      at: now.toISOString(),
      calls: { answered: live.answeredCalls, settingUp: live.settingUpCalls },
      registrations: { bindings: live.registrations, accounts: live.registeredAccounts },
    };
  });
}
