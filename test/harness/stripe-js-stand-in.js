// A stand-in for Stripe.js, which this machine cannot reach: test/e2e/top-up.test.ts serves it in place of
// https://js.stripe.com (where @stripe/stripe-js's loader fetches it). It implements only what the app uses:
// Stripe(publishableKey), elements({ clientSecret }), create('payment') whose mount() renders a plain card-number
// input, and confirmPayment({ elements }), which confirms the PaymentIntent as Stripe.js does, at api.stripe.com with
// the publishable key and the client secret (the test hands those requests to the fake Stripe API).
/* global window, document, fetch, URLSearchParams */
window.Stripe = (publishableKey) => ({
  elements({ clientSecret }) {
    let input;
    return {
      clientSecret,
      cardNumber: () => (input === undefined ? '' : input.value),
      create(type) {
        if (type !== 'payment') throw new Error(`the Stripe.js stand-in has no ${type} element`);
        return {
          mount(target) {
            input = document.createElement('input');
            input.setAttribute('aria-label', 'Card number');
            input.autocomplete = 'cc-number';
            (typeof target === 'string' ? document.querySelector(target) : target).replaceChildren(input);
          },
          destroy() {
            input?.remove();
          },
        };
      },
    };
  },
  async confirmPayment({ elements }) {
    const intentId = elements.clientSecret.split('_secret_')[0];
    const response = await fetch(`https://api.stripe.com/v1/payment_intents/${intentId}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        key: publishableKey,
        client_secret: elements.clientSecret,
        'payment_method_data[type]': 'card',
        'payment_method_data[card][number]': elements.cardNumber(),
      }),
    });
    const body = await response.json();
    return response.ok ? { paymentIntent: body } : { error: body.error };
  },
});
