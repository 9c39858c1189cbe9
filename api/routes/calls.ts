/** The caller's own calls (history, newest first) and the phone numbers that ring them. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { recordBrowserQuality } from '../../core/calls/browser-quality.ts';
import { listDids } from '../../core/calls/dids.ts';
import { callHistory, type CallRecord, type HistoryCursor } from '../../core/calls/history.ts';
import { tariffOf } from '../../core/billing/rating.ts';
import { pricePorts, routeCall } from '../../core/calls/route.ts';
import { formatDecimal, micros } from '../../core/money.ts';
import type { ApiDeps } from '../app.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem, PROBLEM_TYPES } from '../plugins/errors.ts';
import { HistoryFilterQuery, historyFilterOf, type HistoryFilterParams } from '../schemas/history-filter.ts';
import { isMissed } from '../../core/calls/history-filter.ts';
import { problems } from '../schemas/problem.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const CallRecordSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  direction: Type.Union([Type.Literal('outbound'), Type.Literal('inbound'), Type.Literal('onnet'), Type.Literal('echo')], {
    description: 'echo: the echo test (`to` is its number, e.g. *43): the media server played the caller back, free',
  }),
  from: Nullable(Type.String()),
  to: Nullable(Type.String()),
  outcome: Type.String({ description: 'the call state it ended in: ended, refused, failed, cancelled (or answered/ringing while live)' }),
  reason: Nullable(
    Type.String({
      description: 'why it was refused or failed, or how it ended (missed-with-push: the app was woken by push and no device registered in time)',
    }),
  ),
  missed: Type.Boolean({
    description: 'never answered because nobody picked up, was busy or declined, or the caller gave up: what the `missed` outcome filter selects',
  }),
  endedBy: Nullable(Type.String()),
  country: Nullable(Type.String({ description: 'ISO 3166 alpha-2 country of the number called; null: none or unknown' })),
  startedAt: Type.String({ format: 'date-time' }),
  answeredAt: Nullable(Type.String({ format: 'date-time' })),
  endedAt: Nullable(Type.String({ format: 'date-time' })),
  billableSeconds: Type.Union([Type.Integer(), Type.Null()]),
  cost: Nullable(Type.String({ description: 'currency units' })),
  quality: Type.Union([Type.Object({ mos: Type.Number(), rttMs: Type.Integer(), jitterMs: Type.Integer(), packetLossPermille: Type.Integer() }), Type.Null()], {
    description: "how the call sounded to this user's browser, as it reported at the end (null: none reported); mos is an E-model estimate, 1-5",
  }),
});

/** What the browser measured over the call (softphone/src/app/call-quality.ts): whole numbers but the MOS. */
const QualityReport = Type.Object(
  {
    mos: Type.Number({ minimum: 1, maximum: 5, description: 'E-model (ITU-T G.107) estimate; kept to two decimals' }),
    rttMs: Type.Integer({ minimum: 0, maximum: 60_000, description: 'mean round-trip time' }),
    jitterMs: Type.Integer({ minimum: 0, maximum: 60_000, description: 'mean jitter of the received audio' }),
    packetLossPermille: Type.Integer({ minimum: 0, maximum: 1000, description: 'received packets lost, in thousandths' }),
  },
  { additionalProperties: false },
);

const QuoteSchema = Type.Object({
  number: Type.String({ description: 'E.164, or the echo test number as dialled (e.g. *43)' }),
  onNet: Type.Boolean({ description: 'a number of this service: free' }),
  echoTest: Type.Optional(Type.Boolean({ description: 'present (true) for the echo test number: the caller hears itself back, free' })),
  currency: Type.String(),
  pricePerMinute: Type.String({ description: 'currency units' }),
  connectionFee: Type.String({ description: 'currency units, charged once an answered call starts' }),
  firstIncrement: Type.Integer({ description: 'seconds billed for any answered call' }),
  nextIncrement: Type.Integer({ description: 'seconds each further step bills' }),
});

function callDto(call: CallRecord): Static<typeof CallRecordSchema> {
  return {
    id: call.id,
    direction: call.direction,
    from: call.from_number,
    to: call.to_number,
    outcome: call.phase,
    reason: call.refusal_reason ?? call.hangup_cause,
    missed: isMissed(call),
    endedBy: call.ended_by,
    country: call.destination_country,
    startedAt: call.started_at.toISOString(),
    answeredAt: call.answered_at?.toISOString() ?? null,
    endedAt: call.ended_at?.toISOString() ?? null,
    billableSeconds: call.billable_seconds,
    cost: call.cost === null ? null : formatDecimal(micros(call.cost)),
    quality:
      call.browser_mos === null
        ? null
        : {
            mos: call.browser_mos / 100,
            rttMs: call.browser_rtt_ms ?? 0,
            jitterMs: call.browser_jitter_ms ?? 0,
            packetLossPermille: call.browser_loss_permille ?? 0,
          },
  };
}

/** Cursors are opaque to clients: the last row's start time and id. */
function encodeCursor(cursor: HistoryCursor): string {
  return Buffer.from(`${cursor.startedAt}|${cursor.id}`).toString('base64url');
}

function decodeCursor(cursor: string): HistoryCursor {
  const [startedAt = '', id = ''] = Buffer.from(cursor, 'base64url').toString().split('|');
  // Only what encodeCursor makes gets to the database: a timestamp's characters and a uuid.
  const timestamp = /^\d{4}-\d{2}-\d{2} [\d:.+-]+$/.test(startedAt) && !Number.isNaN(Date.parse(startedAt));
  if (!timestamp || !/^[0-9a-f-]{36}$/.test(id)) throw new HttpProblem(400, 'Bad Request', 'not a cursor this API gave out');
  return { startedAt, id };
}

export function callRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/calls',
    {
      schema: {
        description: 'Your own calls, newest first, narrowed by the filters; `next` pages on with the same filters.',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          before: Type.Optional(Type.String({ maxLength: 200 })),
          ...HistoryFilterQuery,
        }),
        response: {
          200: Type.Object({
            calls: Type.Array(CallRecordSchema),
            next: Nullable(Type.String()),
            currency: Type.String({ description: 'the currency of every cost, ISO 4217' }),
          }),
          ...problems(400, 401),
        },
      },
    },
    async (request) => {
      const { accountId } = requireCaller(request);
      const { limit, before, ...filters } = request.query as { limit: number; before?: string } & HistoryFilterParams;
      const filter = await historyFilterOf(deps, accountId, filters);
      const page = await callHistory(
        deps.db,
        deps.privacy.tools.vault,
        accountId,
        { limit, ...(before === undefined ? {} : { before: decodeCursor(before) }) },
        filter,
      );
      return { calls: page.calls.map(callDto), next: page.next === null ? null : encodeCursor(page.next), currency: deps.billing.currency };
    },
  );

  app.post(
    '/calls/:callId/quality',
    {
      schema: {
        description:
          "The browser's report of how one of the caller's own answered calls sounded, sent once it ends; stored on the call's record. Repeating the same report changes nothing (200 again); other figures after the first are refused (409).",
        params: Type.Object({ callId: Type.String({ format: 'uuid' }) }),
        body: QualityReport,
        response: { 200: QualityReport, ...problems(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const { accountId } = requireCaller(request);
      const { callId } = request.params as { callId: string };
      const report = request.body as Static<typeof QualityReport>;
      const mosHundredths = Math.round(report.mos * 100);
      const quality = { mosHundredths, rttMs: report.rttMs, jitterMs: report.jitterMs, lossPermille: report.packetLossPermille };
      switch (await recordBrowserQuality(deps.db, accountId, callId, quality)) {
        case 'not-found':
          throw new HttpProblem(404, 'Not Found', 'no call of yours has this id');
        case 'not-answered':
          throw new HttpProblem(409, 'Conflict', 'the call was never answered: there was no audio to report on', `${PROBLEM_TYPES}call-not-answered`);
        case 'conflict':
          throw new HttpProblem(409, 'Conflict', 'this call has a quality report already', `${PROBLEM_TYPES}quality-already-reported`);
        default:
          return { ...report, mos: mosHundredths / 100 };
      }
    },
  );

  app.get(
    '/calls/quote',
    {
      schema: {
        description: 'What a call to `number` costs (the softphone counts it up during the call); on-net numbers and the echo test are free.',
        querystring: Type.Object({ number: Type.String({ minLength: 1, maxLength: 40 }) }),
        response: { 200: QuoteSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireCaller(request);
      const dialled = (request.query as { number: string }).number;
      const route = await routeCall(pricePorts(deps.db, new Date()), { dialled, defaultCountry: deps.defaultCountry, echoTestNumber: deps.echoTestNumber });
      const free = { currency: deps.billing.currency, pricePerMinute: '0', connectionFee: '0', firstIncrement: 1, nextIncrement: 1 };
      switch (route.kind) {
        case 'refused':
          if (route.numberError !== undefined) throw new HttpProblem(400, 'Bad Request', `not a phone number: ${route.numberError.reason}`);
          throw new HttpProblem(403, 'Forbidden', 'calls to this destination are not offered');
        case 'echo':
          return { number: route.number, onNet: false, echoTest: true, ...free };
        case 'on-net':
          return { number: route.number, onNet: true, ...free };
        case 'trunks': {
          const tariff = tariffOf(route.rate);
          return {
            number: route.number,
            onNet: false,
            currency: deps.billing.currency,
            pricePerMinute: formatDecimal(tariff.pricePerMinute),
            connectionFee: formatDecimal(tariff.connectionFee),
            firstIncrement: tariff.firstIncrement,
            nextIncrement: tariff.nextIncrement,
          };
        }
      }
    },
  );

  app.get('/numbers', { schema: { response: { 200: Type.Object({ numbers: Type.Array(Type.String()) }), ...problems(401) } } }, async (request) => ({
    numbers: (await listDids(deps.db, { accountId: requireCaller(request).accountId })).map((did) => did.e164),
  }));
}
