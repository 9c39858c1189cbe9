/**
 * Operator money tools: the rate table (CRUD and CSV import, each change audited), manual adjustments (with a reason,
 * audited), refunds of card top-ups, and any account's balance.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requireAccount } from '../../core/accounts/accounts.ts';
import { recordAudit } from '../../core/audit.ts';
import { adjust } from '../../core/billing/ledger.ts';
import { createRate, deleteRate, importRatesCsv, listRates, toRateInput, updateRate } from '../../core/billing/rates.ts';
import { refundTopUp } from '../../core/billing/top-ups.ts';
import { formatDecimal, micros, parseDecimal } from '../../core/money.ts';
import type { Rate } from '../../db/schema.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';
import { balanceDto, BalanceSchema, entryDto, LedgerEntrySchema, paymentsNotConfigured } from './billing.ts';

const Decimal = Type.String({ pattern: '^-?\\d+(\\.\\d{1,6})?$', description: 'currency units, up to 6 decimals' });

const RateBody = Type.Object(
  {
    prefix: Type.String({ pattern: '^\\+?[1-9][0-9]{0,14}$' }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    pricePerMinute: Decimal,
    firstIncrement: Type.Integer({ minimum: 1, maximum: 3600 }),
    nextIncrement: Type.Integer({ minimum: 1, maximum: 3600 }),
    connectionFee: Type.Optional(Decimal),
    effectiveFrom: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const RateSchema = Type.Object({
  id: Type.Integer(),
  prefix: Type.String(),
  description: Type.String(),
  pricePerMinute: Type.String(),
  firstIncrement: Type.Integer(),
  nextIncrement: Type.Integer(),
  connectionFee: Type.String(),
  effectiveFrom: Type.String({ format: 'date-time' }),
});

// Ids and amounts are bounded so an absurd number is a 400 here, not an int8 overflow in the database.
const RateId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const AccountId = Type.Object({ accountId: Type.String({ format: 'uuid' }) });

const AdjustmentBody = Type.Object({ amount: Decimal, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

// The key travels to Stripe in an HTTP header (Idempotency-Key): printable ASCII only, or the request could not be sent.
// The reason stays with us, in the audit event about the account (erasure clears it); it is never sent to Stripe.
const RefundBody = Type.Object(
  {
    amountMinor: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    idempotencyKey: Type.String({ pattern: '^[!-~]{8,100}$' }),
  },
  { additionalProperties: false },
);

export function rateDto(rate: Rate): Static<typeof RateSchema> {
  return {
    id: rate.id,
    prefix: rate.prefix,
    description: rate.description,
    pricePerMinute: formatDecimal(micros(rate.price_per_minute)),
    firstIncrement: rate.first_increment,
    nextIncrement: rate.next_increment,
    connectionFee: formatDecimal(micros(rate.connection_fee)),
    effectiveFrom: rate.effective_from.toISOString(),
  };
}

export function adminBillingRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;

  app.get(
    '/admin/rates',
    {
      schema: {
        querystring: Type.Object({
          prefix: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{1,15}$' })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }),
        }),
        response: { 200: Type.Object({ rates: Type.Array(RateSchema) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const query = request.query as { prefix?: string; limit: number; offset: number };
      return { rates: (await listRates(db, query)).map(rateDto) };
    },
  );

  app.post('/admin/rates', { schema: { body: RateBody, response: { 201: RateSchema, ...problems(400, 401, 403, 409) } } }, async (request, reply) => {
    const operator = requireOperator(request);
    const rate = await createRate(db, toRateInput(request.body as Static<typeof RateBody>));
    await recordAudit(db, { action: 'billing.rate_created', actorAccountId: operator.accountId, detail: { rateId: rate.id, prefix: rate.prefix } });
    return reply.status(201).send(rateDto(rate));
  });

  app.put(
    '/admin/rates/:id',
    { schema: { params: RateId, body: RateBody, response: { 200: RateSchema, ...problems(400, 401, 403, 404, 409) } } },
    async (request) => {
      const operator = requireOperator(request);
      const { id } = request.params as Static<typeof RateId>;
      const rate = await updateRate(db, id, toRateInput(request.body as Static<typeof RateBody>));
      if (rate === null) throw new HttpProblem(404, 'Not Found', 'no such rate');
      await recordAudit(db, { action: 'billing.rate_updated', actorAccountId: operator.accountId, detail: { rateId: id, prefix: rate.prefix } });
      return rateDto(rate);
    },
  );

  app.delete('/admin/rates/:id', { schema: { params: RateId, response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } }, async (request, reply) => {
    const operator = requireOperator(request);
    const { id } = request.params as Static<typeof RateId>;
    if (!(await deleteRate(db, id))) throw new HttpProblem(404, 'Not Found', 'no such rate');
    await recordAudit(db, { action: 'billing.rate_deleted', actorAccountId: operator.accountId, detail: { rateId: id } });
    return reply.status(204).send();
  });

  // Rate decks are large: this route alone takes a CSV body of up to 20 MiB.
  app.register(async (scope) => {
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 }, (_request, body, done) => done(null, body));
    scope.post(
      '/admin/rates/import',
      { bodyLimit: 20 * 1024 * 1024, schema: { response: { 200: Type.Object({ imported: Type.Integer() }), ...problems(400, 401, 403, 415) } } },
      async (request) => {
        const operator = requireOperator(request);
        if (typeof request.body !== 'string') throw new HttpProblem(415, 'Unsupported Media Type', 'send the rates as text/csv');
        const result = await importRatesCsv(db, request.body);
        if (result.ok) {
          await recordAudit(db, { action: 'billing.rates_imported', actorAccountId: operator.accountId, detail: { imported: result.imported } });
          return { imported: result.imported };
        }
        throw new HttpProblem(
          400,
          'Bad Request',
          `${result.errors.length} bad line(s); nothing was imported`,
          'https://dialo.dev/problems/rates-csv-invalid',
          result.errors.map((error) => ({ path: `line ${error.line}`, message: error.message })),
        );
      },
    );
  });

  app.get(
    '/admin/accounts/:accountId/balance',
    { schema: { params: AccountId, response: { 200: BalanceSchema, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      requireOperator(request);
      const { accountId } = request.params as Static<typeof AccountId>;
      await requireAccount(deps.db, accountId);
      return balanceDto(deps, accountId);
    },
  );

  app.post(
    '/admin/accounts/:accountId/adjustments',
    { schema: { params: AccountId, body: AdjustmentBody, response: { 201: LedgerEntrySchema, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const operator = requireOperator(request);
      const { accountId } = request.params as Static<typeof AccountId>;
      const body = request.body as Static<typeof AdjustmentBody>;
      await requireAccount(deps.db, accountId);
      const entry = await adjust(db, deps.privacy.tools.vault, {
        accountId,
        amount: parseDecimal(body.amount),
        reason: body.reason,
        actorAccountId: operator.accountId,
      });
      return reply.status(201).send(entryDto(entry));
    },
  );

  app.post(
    '/admin/top-ups/:id/refund',
    {
      schema: {
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: RefundBody,
        response: {
          202: Type.Object({ refundId: Type.String(), status: Type.String(), amountMinor: Type.Integer() }),
          ...problems(400, 401, 403, 404, 409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      if (deps.payments === undefined) throw paymentsNotConfigured();
      const { provider } = deps.payments;
      const { id } = request.params as { id: string };
      const body = request.body as Static<typeof RefundBody>;
      const { accountId, ...refund } = await refundTopUp(db, provider, { topUpId: id, requestKey: body.idempotencyKey, amountMinor: body.amountMinor });
      // The reason stays here, about its account, sealed under its key (core/audit.ts OPERATOR_TEXT_KEY).
      const reason = body.reason ? await deps.privacy.tools.vault.seal(db, accountId, body.reason) : undefined;
      await recordAudit(db, {
        action: 'billing.refund_requested',
        actorAccountId: operator.accountId,
        subjectAccountId: accountId,
        detail: { topUpId: id, refundId: refund.refundId, amountMinor: refund.amountMinor, ...(reason === undefined ? {} : { reason }) },
      });
      // Accepted: taken off the balance now; given back if Stripe's webhook later says the refund failed.
      return reply.status(202).send(refund);
    },
  );
}
