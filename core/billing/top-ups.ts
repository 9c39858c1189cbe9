/**
 * Starting a card top-up: a payment intent (for Stripe, a PaymentIntent for an embedded Payment Element) created
 * through the payment provider port with an idempotency key and the account in metadata. Credit lands only when the
 * provider's signed webhook says the payment succeeded (payment-events.ts), never from this call.
 */
import type { Kysely } from 'kysely';
import type { Database, TopUp } from '../../db/schema.ts';
import type { CreatedPaymentIntent, PaymentProvider } from './payment-provider.ts';

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

/** The payment provider could not be reached or refused the request; nothing was charged. */
export class PaymentProviderError extends Error {
  constructor(options?: ErrorOptions) {
    super('the payment provider did not accept the request', options);
    this.name = 'PaymentProviderError';
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

  let intent: CreatedPaymentIntent;
  try {
    intent = await payments.createPaymentIntent({
      amountMinor: topUp.amount_minor,
      currency: topUp.currency,
      metadata: { dialo_account_id: topUp.account_id, dialo_top_up_id: topUp.id },
      description: 'Dialo calling credit',
      idempotencyKey: `dialo-top-up-${topUp.id}`,
    });
  } catch (error) {
    throw new PaymentProviderError({ cause: error });
  }
  if (intent.clientSecret === null) throw new PaymentProviderError();
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
  constructor(readonly topUpId: string) {
    super(`top-up ${topUpId} has not been paid, so there is nothing to refund`);
    this.name = 'TopUpNotRefundableError';
  }
}

/**
 * Asks the payment provider to refund a paid top-up (all of it, or `amountMinor`). The negative ledger entry is
 * written when the provider's refund webhook arrives, exactly once, like every other card movement.
 * @example const refundId = await refundTopUp(db, payments, { topUpId, requestKey: crypto.randomUUID() });
 */
export async function refundTopUp(
  db: Kysely<Database>,
  payments: PaymentProvider,
  request: { topUpId: string; amountMinor?: number; requestKey: string },
): Promise<{ refundId: string; status: string; amountMinor: number; accountId: string }> {
  const topUp = await db.selectFrom('top_ups').selectAll().where('id', '=', request.topUpId).executeTakeFirst();
  if (topUp === undefined) throw new TopUpNotFoundError(request.topUpId);
  if (topUp.status !== 'succeeded' || topUp.payment_intent_id === null) throw new TopUpNotRefundableError(request.topUpId);
  try {
    const refund = await payments.refund({
      paymentIntentId: topUp.payment_intent_id,
      ...(request.amountMinor === undefined ? {} : { amountMinor: request.amountMinor }),
      // Ids only: an operator's reason may name the person, and what the provider keeps our erasure cannot reach.
      metadata: { dialo_account_id: topUp.account_id, dialo_top_up_id: topUp.id },
      idempotencyKey: `dialo-refund-${topUp.id}-${request.requestKey}`,
    });
    return { refundId: refund.id, status: refund.status ?? 'pending', amountMinor: refund.amountMinor, accountId: topUp.account_id };
  } catch (error) {
    throw new PaymentProviderError({ cause: error });
  }
}

/** An account's top-ups, newest first. */
export async function listTopUps(db: Kysely<Database>, accountId: string, limit: number): Promise<TopUp[]> {
  return db.selectFrom('top_ups').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').limit(limit).execute();
}
