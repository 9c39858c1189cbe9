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

/** A card dispute (chargeback) as the provider reports it. */
export interface DisputeFacts {
  readonly id: string;
  readonly paymentIntentId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  readonly reason: string;
  /** At its close: `won` gives the amount back. */
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
  | { readonly kind: 'dispute-opened' | 'dispute-closed'; readonly dispute: DisputeFacts }
  | { readonly kind: 'other' }
);

/** A webhook delivery whose signature does not match: it is not from the provider, and nothing may change. */
export class PaymentSignatureError extends Error {
  constructor(options?: ErrorOptions) {
    super('the payment provider signature does not match', options);
    this.name = 'PaymentSignatureError';
  }
}

/**
 * @example
 * const intent = await provider.createPaymentIntent({ amountMinor: 1000, currency: 'usd', metadata, description, idempotencyKey });
 * const event = provider.verifyEvent(rawBody, request.headers['stripe-signature']); // PaymentSignatureError if forged
 */
export interface PaymentProvider {
  createPaymentIntent(request: PaymentIntentRequest): Promise<CreatedPaymentIntent>;
  refund(request: RefundRequest): Promise<CreatedRefund>;
  /** Checks a webhook body (the raw bytes as received) against its signature header and reads the event. */
  verifyEvent(rawBody: string | Buffer, signature: string): PaymentEvent;
}
