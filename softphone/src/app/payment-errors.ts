/** What a refused card payment means for the user, in plain words. */

/** A payment that failed for no reason the user can act on. */
export const NOT_PAID = 'The payment did not go through: no money was taken. Try again.';

/** The fields of Stripe.js's `StripeError` read here (https://docs.stripe.com/error-codes). */
export interface StripeRefusal {
  readonly type: string;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

/** What Stripe.js's refusal means for the user, in plain words; its own message only where Stripe says to show it. */
export function paymentErrorMessage(error: StripeRefusal): string {
  switch (error.code) {
    case 'card_declined':
      return 'Your card was declined: no money was taken. Try another card.';
    case 'expired_card':
      return 'Your card has expired: no money was taken. Try another card.';
    case 'payment_intent_authentication_failure':
      return 'Your bank did not confirm the payment: no money was taken. Try again, or try another card.';
  }
  if ((error.type === 'card_error' || error.type === 'validation_error') && error.message !== undefined) return error.message;
  return NOT_PAID;
}
