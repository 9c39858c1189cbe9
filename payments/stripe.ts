/**
 * The payment provider port (core/billing/payment-provider.ts) implemented with the stripe SDK: PaymentIntents,
 * refunds, and signed webhook events read into billing's terms. Besides main.ts (which builds the client from config) and
 * tests, the only importer of `stripe`.
 */
import Stripe from 'stripe';
import {
  PaymentEventUnreadableError,
  PaymentProviderError,
  PaymentRequestRefusedError,
  PaymentSignatureError,
  type PaymentEvent,
  type PaymentMetadata,
  type PaymentProvider,
} from '../core/billing/payment-provider.ts';
import { isStorableText } from '../core/text.ts';

/**
 * How far a signature's timestamp may be from our clock, either way: Stripe's own replay window (300 s) for old ones,
 * which its SDK checks, and the same for ones from the future, which it does not (a sender's clock may run ahead a
 * little; an hour ahead is a replay kept for later).
 */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * What every id and name read here must be: a non-empty string the database can store (no NUL, no lone surrogate)
 * and index (Stripe's ids and codes are at most 255 characters; a longer one cannot be a key).
 */
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '' && value.length <= 255 && isStorableText(value);

/**
 * Reads the fields billing uses from a signed event's object. Stripe always sends every field of its API version
 * (null when unset), so a missing one, or one of the wrong type, means an event we cannot read: refused, not guessed.
 */
function reader(eventId: string, object: Record<string, unknown>) {
  const fail = (name: string, expected: string): never => {
    throw new PaymentEventUnreadableError(eventId, `data.object.${name} is ${name in object ? 'not ' + expected : 'missing'}`);
  };
  const text = (name: string): string => {
    const value = object[name];
    return isText(value) ? value : fail(name, 'a non-empty string');
  };
  return {
    text,
    textOrNull: (name: string): string | null => (object[name] === null ? null : text(name)),
    amount: (name: string): number => {
      const value = object[name];
      return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : fail(name, 'a positive whole number');
    },
    /** An id field, as the id or as the expanded object. */
    idOrNull: (name: string): string | null => {
      const value = object[name];
      if (value === null) return null;
      if (isText(value)) return value;
      const id = typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
      return isText(id) ? id : fail(name, 'an id');
    },
    /** Only a fallback for finding the top-up, so an absent one is read as none. */
    metadata: (): PaymentMetadata | null => {
      const value = object.metadata;
      if (value === undefined || value === null) return null;
      if (typeof value !== 'object' || Object.values(value).some((entry) => typeof entry !== 'string')) return fail('metadata', 'string pairs');
      return value as PaymentMetadata;
    },
  };
}

type Reader = ReturnType<typeof reader>;

function disputeFacts(read: Reader) {
  return {
    id: read.text('id'),
    paymentIntentId: read.idOrNull('payment_intent'),
    amountMinor: read.amount('amount'),
    currency: read.text('currency'),
    reason: read.text('reason'),
    status: read.text('status'),
  };
}

/** A verified Stripe event as billing reads it; {@link PaymentEventUnreadableError} when a field it needs is not there. */
export function paymentEventOf(event: Stripe.Event): PaymentEvent {
  const { id, type } = event as { id: unknown; type: unknown };
  if (!isText(id)) throw new PaymentEventUnreadableError(undefined, 'the event has no id we can store');
  if (!isText(type)) throw new PaymentEventUnreadableError(id, 'the event has no type');
  const object: unknown = (event as { data?: { object?: unknown } }).data?.object;
  if (typeof object !== 'object' || object === null) throw new PaymentEventUnreadableError(id, 'data.object is missing');
  const read = reader(id, object as Record<string, unknown>);
  switch (type) {
    case 'payment_intent.succeeded':
      return {
        id,
        type,
        kind: 'payment-succeeded',
        payment: { intentId: read.text('id'), amountReceivedMinor: read.amount('amount_received'), currency: read.text('currency'), metadata: read.metadata() },
      };
    case 'refund.created':
    case 'refund.updated':
      return {
        id,
        type,
        kind: 'refund',
        refund: {
          id: read.text('id'),
          paymentIntentId: read.idOrNull('payment_intent'),
          amountMinor: read.amount('amount'),
          currency: read.text('currency'),
          status: read.textOrNull('status'),
          metadata: read.metadata(),
        },
      };
    case 'charge.dispute.created':
      return { id, type, kind: 'dispute-opened', dispute: disputeFacts(read) };
    case 'charge.dispute.funds_withdrawn':
      return { id, type, kind: 'dispute-funds-withdrawn', dispute: disputeFacts(read) };
    case 'charge.dispute.funds_reinstated':
      return { id, type, kind: 'dispute-funds-reinstated', dispute: disputeFacts(read) };
    case 'charge.dispute.closed':
      return { id, type, kind: 'dispute-closed', dispute: disputeFacts(read) };
    default:
      return { id, type, kind: 'other' };
  }
}

/** The signed timestamp (`t=`), read as the SDK reads it: the last one in the header. */
function signedAt(header: string): number {
  const stamps = header.split(',').flatMap((item) => (item.startsWith('t=') ? [Number.parseInt(item.slice(2), 10)] : []));
  return stamps.at(-1) ?? Number.NaN;
}

/**
 * Stripe's refusals of the request itself (4xx: invalid parameters, a card declined, a key reused with other
 * parameters) are the caller's to fix and say why; anything else (no connection, Stripe's own failure, our key
 * refused) is the provider failing.
 */
function providerError(error: unknown): Error {
  if (!(error instanceof Stripe.errors.StripeError)) return new PaymentProviderError(undefined, { cause: error });
  const { StripeInvalidRequestError, StripeCardError, StripeIdempotencyError } = Stripe.errors;
  if (error instanceof StripeInvalidRequestError || error instanceof StripeCardError || error instanceof StripeIdempotencyError) {
    return new PaymentRequestRefusedError(error.message, { cause: error });
  }
  const request = error.requestId === undefined ? '' : ` (request ${error.requestId})`;
  if (error instanceof Stripe.errors.StripeConnectionError)
    return new PaymentProviderError('Stripe could not be reached; nothing was changed', { cause: error });
  return new PaymentProviderError(`Stripe answered ${error.statusCode ?? 'without a status'} (${error.type})${request}; nothing was changed`, { cause: error });
}

async function calling<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerError(error);
  }
}

/**
 * @example
 * const provider = stripePayments(new Stripe(config.stripe.secretKey), config.stripe.webhookSecret);
 */
export function stripePayments(stripe: Stripe, webhookSecret: string): PaymentProvider {
  return {
    async createPaymentIntent(request) {
      const intent = await calling(() =>
        stripe.paymentIntents.create(
          {
            amount: request.amountMinor,
            currency: request.currency,
            automatic_payment_methods: { enabled: true },
            metadata: { ...request.metadata },
            description: request.description,
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      return { id: intent.id, clientSecret: intent.client_secret };
    },
    async refund(request) {
      const refund = await calling(() =>
        stripe.refunds.create(
          {
            payment_intent: request.paymentIntentId,
            ...(request.amountMinor === undefined ? {} : { amount: request.amountMinor }),
            metadata: { ...request.metadata },
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      return { id: refund.id, status: refund.status, amountMinor: refund.amount };
    },
    verifyEvent(rawBody, signature) {
      let event: Stripe.Event;
      try {
        // Tolerance 0: the SDK checks only the signature; the window, both ways, is checked below.
        event = stripe.webhooks.constructEvent(rawBody, signature, webhookSecret, 0);
      } catch (error) {
        throw new PaymentSignatureError(undefined, { cause: error });
      }
      // Verified above: this timestamp is the signed one.
      const skew = signedAt(signature) - Math.floor(Date.now() / 1000);
      if (!(Math.abs(skew) <= WEBHOOK_TOLERANCE_SECONDS)) {
        throw new PaymentSignatureError(`the signature is dated more than ${WEBHOOK_TOLERANCE_SECONDS} s in the ${skew > 0 ? 'future' : 'past'}`);
      }
      return paymentEventOf(event);
    },
  };
}
