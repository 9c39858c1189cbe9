/**
 * A payment method that cannot finish on the page (a bank redirect, say) sends the browser to its bank and then back
 * to the top-up's `return_url` with Stripe's return parameters in the query (https://docs.stripe.com/payments/accept-a-payment?platform=web&ui=elements#web-submit-payment):
 * `payment_intent`, `payment_intent_client_secret` and `redirect_status`.
 */

export interface PaymentReturn {
  /** The PaymentIntent's id: the top-up's `paymentReference`. */
  readonly paymentIntentId: string;
  /** Stripe's word for how it ended: `succeeded`, `processing`, or `failed` / `requires_payment_method`. */
  readonly redirectStatus: string;
}

const RETURN_PARAMETERS = ['payment_intent', 'payment_intent_client_secret', 'redirect_status'] as const;

/** Stripe's return in `url`, and `url` without its parameters (the client secret is not left in the address bar or history). */
export function paymentReturnOf(url: URL): { readonly payment: PaymentReturn | undefined; readonly cleaned: URL } {
  const paymentIntentId = url.searchParams.get('payment_intent');
  const redirectStatus = url.searchParams.get('redirect_status');
  const cleaned = new URL(url);
  for (const name of RETURN_PARAMETERS) cleaned.searchParams.delete(name);
  return { payment: paymentIntentId === null || redirectStatus === null ? undefined : { paymentIntentId, redirectStatus }, cleaned };
}

/** Whether the payment may still be credited: the webhook will say, so the app waits for it. */
export const mayBeCredited = (payment: PaymentReturn) => payment.redirectStatus === 'succeeded' || payment.redirectStatus === 'processing';
