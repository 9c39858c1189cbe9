// Stripe's return parameters on the app's address after a payment that went to the bank's page and back.
import { describe, expect, it } from 'vitest';
import { mayBeCredited, paymentReturnOf } from '../../../softphone/src/app/payment-return.ts';

describe("Stripe's return to the app", () => {
  it('reads the payment and leaves the address without its parameters, the rest kept', () => {
    const { payment, cleaned } = paymentReturnOf(
      new URL('https://phone.example/?payment_intent=pi_123&payment_intent_client_secret=pi_123_secret_abc&redirect_status=succeeded&x=1#privacy'),
    );
    expect(payment).toEqual({ paymentIntentId: 'pi_123', redirectStatus: 'succeeded' });
    expect(cleaned.href).toBe('https://phone.example/?x=1#privacy');
  });

  it('is no return without both the payment and its status, and leaves an ordinary address alone', () => {
    expect(paymentReturnOf(new URL('https://phone.example/?payment_intent=pi_123')).payment).toBeUndefined();
    const plain = paymentReturnOf(new URL('https://phone.example/reset-password?token=abc'));
    expect(plain).toEqual({ payment: undefined, cleaned: new URL('https://phone.example/reset-password?token=abc') });
  });

  it('waits for the credit only when Stripe says the payment succeeded or is processing', () => {
    const returned = (redirectStatus: string) => mayBeCredited({ paymentIntentId: 'pi_1', redirectStatus });
    expect(['succeeded', 'processing', 'failed', 'requires_payment_method'].map(returned)).toEqual([true, true, false, false]);
  });
});
