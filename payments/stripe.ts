/**
 * The payment provider port (core/billing/payment-provider.ts) implemented with the stripe SDK: PaymentIntents,
 * refunds, and signed webhook events read into billing's terms. Besides main.ts (which builds the client from config) and
 * tests, the only importer of `stripe`.
 */
import type Stripe from 'stripe';
import { PaymentSignatureError, type PaymentEvent, type PaymentProvider } from '../core/billing/payment-provider.ts';

function intentIdOf(value: string | { id: string } | null): string | null {
  return value === null ? null : typeof value === 'string' ? value : value.id;
}

function disputeFacts(dispute: Stripe.Dispute) {
  return {
    id: dispute.id,
    paymentIntentId: intentIdOf(dispute.payment_intent),
    amountMinor: dispute.amount,
    currency: dispute.currency,
    reason: dispute.reason,
    status: dispute.status,
  };
}

/** A verified Stripe event as billing reads it. */
export function paymentEventOf(event: Stripe.Event): PaymentEvent {
  const { id, type } = event;
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const intent = event.data.object;
      return {
        id,
        type,
        kind: 'payment-succeeded',
        payment: { intentId: intent.id, amountReceivedMinor: intent.amount_received, currency: intent.currency, metadata: intent.metadata },
      };
    }
    case 'refund.created':
    case 'refund.updated': {
      const refund = event.data.object;
      return {
        id,
        type,
        kind: 'refund',
        refund: {
          id: refund.id,
          paymentIntentId: intentIdOf(refund.payment_intent),
          amountMinor: refund.amount,
          currency: refund.currency,
          status: refund.status,
          metadata: refund.metadata,
        },
      };
    }
    case 'charge.dispute.created':
      return { id, type, kind: 'dispute-opened', dispute: disputeFacts(event.data.object) };
    case 'charge.dispute.closed':
      return { id, type, kind: 'dispute-closed', dispute: disputeFacts(event.data.object) };
    default:
      return { id, type, kind: 'other' };
  }
}

/**
 * @example
 * const provider = stripePayments(new Stripe(config.stripe.secretKey), config.stripe.webhookSecret);
 */
export function stripePayments(stripe: Stripe, webhookSecret: string): PaymentProvider {
  return {
    async createPaymentIntent(request) {
      const intent = await stripe.paymentIntents.create(
        {
          amount: request.amountMinor,
          currency: request.currency,
          automatic_payment_methods: { enabled: true },
          metadata: { ...request.metadata },
          description: request.description,
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { id: intent.id, clientSecret: intent.client_secret };
    },
    async refund(request) {
      const refund = await stripe.refunds.create(
        {
          payment_intent: request.paymentIntentId,
          ...(request.amountMinor === undefined ? {} : { amount: request.amountMinor }),
          metadata: { ...request.metadata },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { id: refund.id, status: refund.status, amountMinor: refund.amount };
    },
    verifyEvent(rawBody, signature) {
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, webhookSecret);
      } catch (error) {
        throw new PaymentSignatureError({ cause: error });
      }
      return paymentEventOf(event);
    },
  };
}
