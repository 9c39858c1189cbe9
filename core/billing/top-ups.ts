/**
 * Starting a card top-up: a payment intent (for Stripe, a PaymentIntent for an embedded Payment Element) created
 * through the payment provider port with an idempotency key and the account in metadata. Credit lands only when the
 * provider's signed webhook says the payment succeeded (payment-events.ts), never from this call.
 */
import type { Kysely } from 'kysely';
import type { Database, TopUp } from '../../db/schema.ts';
import { recordReversal } from './payment-events.ts';
import { PaymentProviderError, type PaymentProvider } from './payment-provider.ts';

export interface TopUpBounds {
  readonly currency: string;
  readonly minMinor: number;
  readonly maxMinor: number;
}

export class TopUpAmountError extends Error {
  constructor(readonly bounds: TopUpBounds) {
    super(`a top-up must be from ${bounds.minMinor} to ${bounds.maxMinor} ${bounds.currency} minor units`);
    this.name = 'TopUpAmountError';
  }
}

export class TopUpKeyReusedError extends Error {
  constructor() {
    super('this idempotency key was already used for a different amount');
    this.name = 'TopUpKeyReusedError';
  }
}

export interface StartedTopUp {
  readonly topUpId: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** For @stripe/stripe-js `confirmPayment` with the Payment Element. */
  readonly clientSecret: string;
}

/**
 * Starts (or, for a repeated `requestKey`, resumes) a top-up. The provider's idempotency key is derived from
 * our row id, so a retry after a timeout gets the same payment intent back instead of a second one.
 * @example
 * const started = await startTopUp(db, payments, { accountId, amountMinor: 1000, requestKey: crypto.randomUUID() }, bounds);
 * stripeJs.confirmPayment({ clientSecret: started.clientSecret, ... });
 */
export async function startTopUp(
  db: Kysely<Database>,
  payments: PaymentProvider,
  request: { accountId: string; amountMinor: number; requestKey: string },
  bounds: TopUpBounds,
): Promise<StartedTopUp> {
  if (!Number.isSafeInteger(request.amountMinor) || request.amountMinor < bounds.minMinor || request.amountMinor > bounds.maxMinor) {
    throw new TopUpAmountError(bounds);
  }
  await db
    .insertInto('top_ups')
    .values({ account_id: request.accountId, request_key: request.requestKey, amount_minor: request.amountMinor, currency: bounds.currency })
    .onConflict((conflict) => conflict.columns(['account_id', 'request_key']).doNothing())
    .execute();
  const topUp = await db
    .selectFrom('top_ups')
    .selectAll()
    .where('account_id', '=', request.accountId)
    .where('request_key', '=', request.requestKey)
    .executeTakeFirstOrThrow();
  if (topUp.amount_minor !== request.amountMinor || topUp.currency !== bounds.currency) throw new TopUpKeyReusedError();

  const intent = await payments.createPaymentIntent({
    amountMinor: topUp.amount_minor,
    currency: topUp.currency,
    metadata: { dialo_account_id: topUp.account_id, dialo_top_up_id: topUp.id },
    description: 'Dialo calling credit',
    idempotencyKey: `dialo-top-up-${topUp.id}`,
  });
  if (intent.clientSecret === null) throw new PaymentProviderError('the payment provider gave no client secret for the payment form');
  await db.updateTable('top_ups').set({ payment_intent_id: intent.id }).where('id', '=', topUp.id).where('payment_intent_id', 'is', null).execute();
  return { topUpId: topUp.id, amountMinor: topUp.amount_minor, currency: topUp.currency, clientSecret: intent.clientSecret };
}

export class TopUpNotFoundError extends Error {
  constructor(readonly topUpId: string) {
    super(`no top-up ${topUpId}`);
    this.name = 'TopUpNotFoundError';
  }
}

export class TopUpNotRefundableError extends Error {
  constructor(
    readonly topUpId: string,
    why = 'has not been paid, so there is nothing to refund',
  ) {
    super(`top-up ${topUpId} ${why}`);
    this.name = 'TopUpNotRefundableError';
  }
}

export class RefundAmountError extends Error {
  constructor(
    readonly refundableMinor: number,
    currency: string,
  ) {
    super(`at most ${refundableMinor} ${currency} minor units of this top-up are left to refund`);
    this.name = 'RefundAmountError';
  }
}

/**
 * Asks the payment provider to refund a paid top-up (all that is left of it, or `amountMinor`), after checking what
 * the provider would refuse: a payment not made, one under dispute, more than is left. The refund is taken off the
 * balance as soon as the provider accepts it (recorded as the top-up's reversal, so its webhook finds it done), and
 * given back if the provider later says it failed: money on its way back to the card is not spent meanwhile.
 * @example const refund = await refundTopUp(db, payments, { topUpId, requestKey: crypto.randomUUID() });
 */
export async function refundTopUp(
  db: Kysely<Database>,
  payments: PaymentProvider,
  request: { topUpId: string; amountMinor?: number; requestKey: string },
): Promise<{ refundId: string; status: string; amountMinor: number; accountId: string }> {
  const topUp = await db.selectFrom('top_ups').selectAll().where('id', '=', request.topUpId).executeTakeFirst();
  if (topUp === undefined) throw new TopUpNotFoundError(request.topUpId);
  if (topUp.status !== 'succeeded' || topUp.payment_intent_id === null) throw new TopUpNotRefundableError(request.topUpId);
  const reversals = await db.selectFrom('top_up_reversals').selectAll().where('top_up_id', '=', topUp.id).execute();
  // A retry of a refund already made gets the provider's same answer (its idempotency key), not our checks again.
  if (!reversals.some((reversal) => reversal.kind === 'refund' && reversal.request_key === request.requestKey)) {
    // An inquiry took nothing and is no chargeback: Stripe itself says whether its payment can be refunded.
    const gone = reversals.filter((reversal) => reversal.withdrawn && reversal.returned === null);
    if (gone.some((reversal) => reversal.kind === 'dispute'))
      throw new TopUpNotRefundableError(topUp.id, 'is disputed (open or lost); the card network decides it');
    const left = topUp.amount_minor - gone.reduce((sum, reversal) => sum + reversal.amount_minor, 0);
    if (left <= 0) throw new TopUpNotRefundableError(topUp.id, 'has been refunded in full');
    if (request.amountMinor !== undefined && request.amountMinor > left) throw new RefundAmountError(left, topUp.currency);
  }
  const refund = await payments.refund({
    paymentIntentId: topUp.payment_intent_id,
    ...(request.amountMinor === undefined ? {} : { amountMinor: request.amountMinor }),
    // Ids only: an operator's reason may name the person, and what the provider keeps our erasure cannot reach.
    metadata: { dialo_account_id: topUp.account_id, dialo_top_up_id: topUp.id },
    idempotencyKey: `dialo-refund-${topUp.id}-${request.requestKey}`,
  });
  const status = refund.status ?? 'pending';
  const returned = status === 'failed' || status === 'canceled' ? `refund ${status}` : null;
  await recordReversal(db, topUp, { kind: 'refund', id: refund.id, amountMinor: refund.amountMinor, reason: null, returned, requestKey: request.requestKey });
  return { refundId: refund.id, status, amountMinor: refund.amountMinor, accountId: topUp.account_id };
}

/** An account's top-ups, newest first. */
export async function listTopUps(db: Kysely<Database>, accountId: string, limit: number): Promise<TopUp[]> {
  return db.selectFrom('top_ups').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').limit(limit).execute();
}
