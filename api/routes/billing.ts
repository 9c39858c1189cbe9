/**
 * The caller's money: balance, ledger history, top-ups (start one, list them as receipts), and the
 * public payment settings the softphone needs (currency, bounds, Stripe publishable key).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { balanceOf, ledgerHistory } from '../../core/billing/ledger.ts';
import { listTopUps, startTopUp } from '../../core/billing/top-ups.ts';
import { formatDecimal, micros } from '../../core/money.ts';
import type { LedgerEntry, TopUp } from '../../db/schema.ts';
import type { ApiDeps } from '../app.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

/** Amounts leave the API as decimal strings of the currency unit ("12.3456"): exact, never floats. */
const Amount = Type.String({ pattern: '^-?\\d+\\.\\d{2,6}$' });

export const BalanceSchema = Type.Object({ currency: Type.String(), balance: Amount, reserved: Amount, available: Amount });

export const LedgerEntrySchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  amount: Amount,
  reference: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

const ReceiptSchema = Type.Object({
  id: Type.String(),
  amountMinor: Type.Integer(),
  currency: Type.String(),
  status: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  paidAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  paymentReference: Type.Union([Type.String(), Type.Null()]),
});

const TopUpBody = Type.Object(
  {
    amountMinor: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    /** Chosen by the client per attempt: a retried request returns the same payment. */
    idempotencyKey: Type.String({ minLength: 8, maxLength: 100 }),
  },
  { additionalProperties: false },
);

export function entryDto(entry: LedgerEntry) {
  return {
    id: entry.id,
    kind: entry.kind,
    amount: formatDecimal(micros(entry.amount)),
    reference: entry.reference,
    reason: entry.reason,
    createdAt: entry.created_at.toISOString(),
  };
}

function receiptDto(topUp: TopUp) {
  return {
    id: topUp.id,
    amountMinor: topUp.amount_minor,
    currency: topUp.currency,
    status: topUp.status,
    createdAt: topUp.created_at.toISOString(),
    paidAt: topUp.succeeded_at?.toISOString() ?? null,
    paymentReference: topUp.payment_intent_id,
  };
}

export async function balanceDto(deps: ApiDeps, accountId: string): Promise<Static<typeof BalanceSchema>> {
  const { balance, reserved, available } = await balanceOf(deps.db, accountId);
  return { currency: deps.billing.currency, balance: formatDecimal(balance), reserved: formatDecimal(reserved), available: formatDecimal(available) };
}

export const paymentsNotConfigured = () =>
  new HttpProblem(503, 'Payments Not Configured', 'card payments are not set up on this server; an operator can grant credit');

export function billingRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, billing, payments } = deps;

  app.get(
    '/billing/config',
    {
      schema: {
        response: {
          200: Type.Object({
            currency: Type.String(),
            topUp: Type.Object({ minMinor: Type.Integer(), maxMinor: Type.Integer() }),
            stripePublishableKey: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async () => ({
      currency: billing.currency,
      topUp: { minMinor: billing.topUpMinMinor, maxMinor: billing.topUpMaxMinor },
      stripePublishableKey: payments?.publishableKey ?? null,
    }),
  );

  app.get('/billing/balance', { schema: { response: { 200: BalanceSchema, ...problems(401) } } }, async (request) =>
    balanceDto(deps, requireCaller(request).accountId),
  );

  app.get(
    '/billing/ledger',
    {
      schema: {
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
        }),
        response: { 200: Type.Object({ entries: Type.Array(LedgerEntrySchema), next: Type.Union([Type.Integer(), Type.Null()]) }), ...problems(400, 401) },
      },
    },
    async (request) => {
      const { accountId } = requireCaller(request);
      const { limit, before } = request.query as { limit: number; before?: number };
      const entries = await ledgerHistory(db, deps.privacy.tools.vault, accountId, { limit, ...(before === undefined ? {} : { beforeId: before }) });
      return { entries: entries.map(entryDto), next: entries.length === limit ? (entries.at(-1)?.id ?? null) : null };
    },
  );

  app.post(
    '/billing/top-ups',
    {
      schema: {
        body: TopUpBody,
        response: {
          201: Type.Object({
            topUpId: Type.String(),
            amountMinor: Type.Integer(),
            currency: Type.String(),
            clientSecret: Type.String(),
          }),
          ...problems(400, 401, 409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const { accountId } = requireCaller(request);
      if (payments === undefined) throw paymentsNotConfigured();
      const { amountMinor, idempotencyKey } = request.body as Static<typeof TopUpBody>;
      const started = await startTopUp(
        db,
        payments.provider,
        { accountId, amountMinor, requestKey: idempotencyKey },
        {
          currency: billing.currency,
          minMinor: billing.topUpMinMinor,
          maxMinor: billing.topUpMaxMinor,
        },
      );
      return reply.status(201).send(started);
    },
  );

  app.get('/billing/top-ups', { schema: { response: { 200: Type.Object({ topUps: Type.Array(ReceiptSchema) }), ...problems(401) } } }, async (request) => ({
    topUps: (await listTopUps(db, requireCaller(request).accountId, 100)).map(receiptDto),
  }));

  app.get(
    '/billing/top-ups/:id',
    { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: ReceiptSchema, ...problems(400, 401, 404) } } },
    async (request) => {
      const { accountId } = requireCaller(request);
      const { id } = request.params as { id: string };
      const topUp = await db.selectFrom('top_ups').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
      if (topUp === undefined) throw new HttpProblem(404, 'Not Found', 'no such top-up');
      return receiptDto(topUp);
    },
  );
}
