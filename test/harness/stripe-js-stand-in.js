// A stand-in for Stripe.js, which this machine cannot reach: test/e2e/top-up.test.ts serves it in place of
// https://js.stripe.com (where @stripe/stripe-js's loader fetches it). It implements only what the app uses:
// Stripe(publishableKey), elements({ clientSecret }), create('payment') whose mount() renders a plain card-number
// input, and confirmPayment({ elements }), which confirms the PaymentIntent as Stripe.js does, at api.stripe.com with
// the publishable key and the client secret (the test hands those requests to the fake Stripe API). When the intent
// then needs 3-D Secure, it shows the bank's challenge in a frame from hooks.stripe.com, as Stripe.js does (the test
// serves a page there whose Complete and Fail buttons post their answer to this window), passes the answer on to the
// fake, and resolves as Stripe.js would: the paid intent, or the intent's last_payment_error.
/* global window, document, fetch, URLSearchParams */

/** The bank's answer to the 3-D Secure challenge for `intentId`: 'complete' or 'fail'. */
function challenge(intentId) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.title = '3D Secure authentication';
    frame.src = `https://hooks.stripe.com/3d_secure_2/test/${intentId}`;
    const answered = (event) => {
      if (event.origin !== 'https://hooks.stripe.com' || event.source !== frame.contentWindow) return;
      window.removeEventListener('message', answered);
      frame.remove();
      resolve(event.data);
    };
    window.addEventListener('message', answered);
    document.body.append(frame);
  });
}

async function postToStripe(path, fields) {
  const response = await fetch(`https://api.stripe.com/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  return { ok: response.ok, body: await response.json() };
}

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
    const caller = { key: publishableKey, client_secret: elements.clientSecret };
    const confirmed = await postToStripe(`payment_intents/${intentId}/confirm`, {
      ...caller,
      'payment_method_data[type]': 'card',
      'payment_method_data[card][number]': elements.cardNumber(),
    });
    if (!confirmed.ok) return { error: confirmed.body.error };
    if (confirmed.body.status !== 'requires_action') return { paymentIntent: confirmed.body };
    const outcome = await challenge(intentId);
    const authenticated = await postToStripe(`payment_intents/${intentId}/authenticate`, { ...caller, outcome });
    if (!authenticated.ok) return { error: authenticated.body.error };
    const intent = authenticated.body;
    return intent.status === 'succeeded' ? { paymentIntent: intent } : { error: intent.last_payment_error };
  },
});
