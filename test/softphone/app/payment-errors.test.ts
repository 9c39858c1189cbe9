// What the app tells the user when Stripe.js refuses a payment.
import { describe, expect, it } from 'vitest';
import { paymentErrorMessage } from '../../../softphone/src/app/payment-errors.ts';

describe('payment refusals in plain words', () => {
  it('says a declined card took no money', () => {
    expect(paymentErrorMessage({ type: 'card_error', code: 'card_declined', message: 'Your card was declined.' })).toBe(
      'Your card was declined: no money was taken. Try another card.',
    );
  });

  it('shows Stripe’s own message for other card and validation errors, and a plain one otherwise', () => {
    expect(paymentErrorMessage({ type: 'card_error', code: 'incorrect_number', message: 'Your card number is incorrect.' })).toBe(
      'Your card number is incorrect.',
    );
    expect(paymentErrorMessage({ type: 'api_error', code: undefined, message: 'An unexpected error occurred.' })).toBe(
      'The payment did not go through: no money was taken. Try again.',
    );
  });
});
