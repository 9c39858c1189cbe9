/**
 * The payment provider port: what billing needs from a card processor, in our terms. Core owns it and imports no
 * provider SDK; payments/stripe.ts implements it with the stripe SDK, and main.ts hands that to the api.
 */

/** Key-value pairs attached to a provider object (we put the account and top-up ids there) and read back in events. */
export type PaymentMetadata = Readonly<Record<string, string>>;

export interface PaymentIntentRequest {
  /** In the currency's minor unit (cents). */
  readonly amountMinor: number;
  readonly currency: string;
  readonly metadata: PaymentMetadata;
  readonly description: string;
  /** A repeated key gets the first intent back instead of a second one (a retry after a timeout). */
  readonly idempotencyKey: string;
}

export interface CreatedPaymentIntent {
  readonly id: string;
  /** For the browser's payment form; null if the provider gave none (then the top-up cannot go on). */
  readonly clientSecret: string | null;
}

export interface RefundRequest {
  readonly paymentIntentId: string;
  /** Undefined: all of it. */
  readonly amountMinor?: number;
  readonly metadata: PaymentMetadata;
  readonly idempotencyKey: string;
}

export interface CreatedRefund {
  readonly id: string;
  /** The provider's word (`pending`, `succeeded`, `failed`, `canceled`, ...); null when it gave none yet. */
  readonly status: string | null;
  readonly amountMinor: number;
}

/** A refund of a card payment as the provider reports it. */
export interface RefundFacts {
  readonly id: string;
  readonly paymentIntentId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  /** `failed` and `canceled` mean no money went back to the card. */
  readonly status: string | null;
  readonly metadata: PaymentMetadata | null;
}

/** A card dispute (a chargeback, or only an inquiry: Stripe's `warning_*` statuses) as the provider reports it. */
export interface DisputeFacts {
  readonly id: string;
  readonly paymentIntentId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  readonly reason: string;
  /** `warning_*`: an inquiry, no money taken. At its close: `won` gives the amount back. */
  readonly status: string;
}

/**
 * One verified webhook event: its id (processed once) and the provider's type name, and what it means for billing.
 * `other`: a type billing does not use.
 */
export type PaymentEvent = { readonly id: string; readonly type: string } & (
  | {
      readonly kind: 'payment-succeeded';
      readonly payment: {
        readonly intentId: string;
        readonly amountReceivedMinor: number;
        readonly currency: string;
        readonly metadata: PaymentMetadata | null;
      };
    }
  | { readonly kind: 'refund'; readonly refund: RefundFacts }
  | {
      /** `funds-withdrawn`: the disputed amount was taken (a chargeback); `funds-reinstated`: it came back. */
      readonly kind: 'dispute-opened' | 'dispute-funds-withdrawn' | 'dispute-funds-reinstated' | 'dispute-closed';
      readonly dispute: DisputeFacts;
    }
  | { readonly kind: 'other' }
);

/**
 * A webhook delivery whose signature does not match, or whose signed timestamp is outside the tolerance (a replay,
 * or a clock far off): nothing may change.
 */
export class PaymentSignatureError extends Error {
  constructor(message = 'the payment provider signature does not match', options?: ErrorOptions) {
    super(message, options);
    this.name = 'PaymentSignatureError';
  }
}

/**
 * A genuine (signed) event that lacks a field billing needs, or has one of the wrong type. It is refused rather than
 * recorded, so its id stays unclaimed: the provider keeps retrying it (and shows it failing to the operator), and a
 * redelivery that carries the field applies normally.
 */
export class PaymentEventUnreadableError extends Error {
  constructor(
    readonly eventId: string | undefined,
    readonly problem: string,
  ) {
    super(`event ${eventId ?? '(no id)'} cannot be applied: ${problem}`);
    this.name = 'PaymentEventUnreadableError';
  }
}

/**
 * The payment provider could not be reached or failed to answer (an adapter says which, in words an operator can act
 * on); nothing was charged or refunded.
 */
export class PaymentProviderError extends Error {
  constructor(detail = 'the payment provider did not answer as expected', options?: ErrorOptions) {
    super(detail, options);
    this.name = 'PaymentProviderError';
  }
}

/** The provider refused a request as invalid (an amount larger than what is left to refund, a disputed payment). */
export class PaymentRequestRefusedError extends Error {
  constructor(providerMessage: string, options?: ErrorOptions) {
    super(`the payment provider refused the request: ${providerMessage}`, options);
    this.name = 'PaymentRequestRefusedError';
  }
}

/**
 * @example
 * const intent = await provider.createPaymentIntent({ amountMinor: 1000, currency: 'usd', metadata, description, idempotencyKey });
 * const event = provider.verifyEvent(rawBody, request.headers['stripe-signature']); // PaymentSignatureError if forged
 */
export interface PaymentProvider {
  /** Fails only with {@link PaymentRequestRefusedError} (the request itself refused) or {@link PaymentProviderError}. */
  createPaymentIntent(request: PaymentIntentRequest): Promise<CreatedPaymentIntent>;
  /** Fails as `createPaymentIntent` does. */
  refund(request: RefundRequest): Promise<CreatedRefund>;
  /** Checks a webhook body (the raw bytes as received) against its signature header and reads the event. */
  verifyEvent(rawBody: string | Buffer, signature: string): PaymentEvent;
}
