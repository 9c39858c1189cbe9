/**
 * Card top-ups: the user picks one of a few amounts within the server's bounds (GET /billing/config), the API starts
 * the top-up and its Stripe PaymentIntent (POST /billing/top-ups), and Stripe.js's Payment Element takes the card
 * (3-D Secure runs in Stripe's own frames; card details never reach this code or the API). Credit lands only when
 * Stripe's signed webhook reaches the server, so after the payment the app polls the top-up's receipt
 * (GET /billing/top-ups/:id) until it is paid, then refreshes the balance and shows the receipt. The panel lists the
 * account's top-ups (GET /billing/top-ups), each opening its receipt, so a receipt can be read again later.
 * A payment that left for the bank's page comes back with Stripe's return parameters (payment-return.ts): once signed
 * in, the app finds that top-up and waits for its credit the same way.
 */
import type { Stripe, StripeElements, StripePaymentElement } from '@stripe/stripe-js';
// The pure entry point loads Stripe.js only when a top-up starts; the main one would load it on every page, payments or not.
import { loadStripe } from '@stripe/stripe-js/pure';
import type { ApiClient } from './api-client.ts';
import { formatWhen, messageOf } from './format.ts';
import { NOT_PAID, paymentErrorMessage } from './payment-errors.ts';
import { mayBeCredited, paymentReturnOf, type PaymentReturn } from './payment-return.ts';
import { formatMinor, presetAmounts } from './top-up-amounts.ts';

interface BillingConfig {
  readonly currency: string;
  readonly topUp: { readonly minMinor: number; readonly maxMinor: number };
  readonly stripePublishableKey: string | null;
}

/** GET /billing/top-ups/:id, the receipt. */
interface Receipt {
  readonly id: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly status: string;
  readonly createdAt: string;
  readonly paidAt: string | null;
  readonly paymentReference: string | null;
}

interface StartedTopUp {
  readonly topUpId: string;
  readonly clientSecret: string;
}

export interface TopUpElements {
  readonly open: HTMLButtonElement;
  readonly panel: HTMLElement;
  readonly amounts: HTMLElement;
  readonly paymentForm: HTMLFormElement;
  readonly paymentElement: HTMLElement;
  readonly pay: HTMLButtonElement;
  readonly message: HTMLElement;
  readonly receipt: HTMLElement;
  /** The list of past top-ups, and what shows when there are none. */
  readonly history: HTMLElement;
  readonly noTopUps: HTMLElement;
}

/** How often, and for how long, the app asks whether the webhook has credited a paid top-up. */
const POLL_MS = 1000;
const POLL_LIMIT_MS = 120_000;

function receiptLine(receipt: Receipt): string {
  const paid = receipt.paidAt === null ? 'not paid yet' : `paid ${formatWhen(receipt.paidAt)}`;
  return `Receipt: ${formatMinor(receipt.amountMinor, receipt.currency)} ${paid}, payment ${receipt.paymentReference ?? 'none'}`;
}

/** A past top-up in the list: its amount and whether (and when) it was paid. */
function topUpSummary(topUp: Receipt): string {
  const amount = formatMinor(topUp.amountMinor, topUp.currency);
  return topUp.paidAt === null ? `${amount}, not paid (started ${formatWhen(topUp.createdAt)})` : `${amount}, paid ${formatWhen(topUp.paidAt)}`;
}

/** The top-up's receipt once the webhook has credited it, or undefined if it has not within {@link POLL_LIMIT_MS}. */
async function paidReceipt(api: ApiClient, topUpId: string): Promise<Receipt | undefined> {
  const until = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const receipt = await api.get<Receipt>(`/billing/top-ups/${topUpId}`);
    if (receipt.status === 'succeeded') return receipt;
    if (Date.now() >= until) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Stripe's return on this page, if any, taken out of the address (history.replaceState). */
export function takePaymentReturn(): PaymentReturn | undefined {
  const url = new URL(location.href);
  const { payment, cleaned } = paymentReturnOf(url);
  if (cleaned.href !== url.href) history.replaceState(history.state, '', cleaned.href);
  return payment;
}

export interface TopUp {
  /** Once signed in: settles the payment the page came back from, if it did (once). */
  settleReturn(): Promise<void>;
}

/** Wires the Top up button; `credited` runs once a paid top-up is on the balance; `returned`: see {@link TopUp.settleReturn}. */
export function createTopUp(api: ApiClient, elements: TopUpElements, credited: () => void, returned: PaymentReturn | undefined): TopUp {
  const say = (text: string) => (elements.message.textContent = text);
  /** Stripe.js, loaded once (the loader injects https://js.stripe.com/v3 on first use). */
  let stripe: Promise<Stripe | null> | undefined;
  let payment: { stripe: Stripe; elements: StripeElements; element: StripePaymentElement; topUpId: string } | undefined;

  async function showReceipt(topUpId: string): Promise<void> {
    elements.receipt.textContent = receiptLine(await api.get<Receipt>(`/billing/top-ups/${topUpId}`));
  }

  async function listTopUps(): Promise<void> {
    const { topUps } = await api.get<{ topUps: Receipt[] }>('/billing/top-ups');
    elements.noTopUps.hidden = topUps.length > 0;
    elements.history.replaceChildren(
      ...topUps.map((topUp) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = topUpSummary(topUp);
        button.setAttribute('aria-label', `Receipt for ${topUpSummary(topUp)}`);
        button.addEventListener('click', () => void showReceipt(topUp.id).catch((error: unknown) => say(messageOf(error))));
        const item = document.createElement('li');
        item.append(button);
        return item;
      }),
    );
  }

  /** After Stripe accepted the payment: the credit, once its webhook has landed, and the receipt. */
  async function awaitCredit(topUpId: string): Promise<void> {
    say('Payment accepted: adding the credit…');
    const receipt = await paidReceipt(api, topUpId);
    if (receipt === undefined) return void say('Payment accepted: the credit will show once Stripe confirms it to this server.');
    say('Credit added.');
    elements.receipt.textContent = receiptLine(receipt);
    credited();
    await listTopUps();
  }

  /** Starts a top-up of `amountMinor`; `publishableKey` is GET /billing/config's, the one source of it. */
  async function start(amountMinor: number, publishableKey: string): Promise<void> {
    payment?.element.destroy();
    payment = undefined;
    elements.paymentForm.hidden = true;
    elements.receipt.textContent = '';
    say('');
    // One key per attempt: a retried request gets the same payment back.
    const started = await api.post<StartedTopUp>('/billing/top-ups', { amountMinor, idempotencyKey: crypto.randomUUID() });
    stripe ??= loadStripe(publishableKey);
    const loaded = await stripe;
    if (loaded === null) throw new Error('the card form cannot run in this browser');
    // Stripe's own dark theme when the page is dark (styles.css follows prefers-color-scheme too).
    const theme = matchMedia('(prefers-color-scheme: dark)').matches ? 'night' : 'stripe';
    const stripeElements = loaded.elements({ clientSecret: started.clientSecret, appearance: { theme } });
    const element = stripeElements.create('payment');
    element.mount(elements.paymentElement);
    payment = { stripe: loaded, elements: stripeElements, element, topUpId: started.topUpId };
    elements.paymentForm.hidden = false;
  }

  async function pay(): Promise<void> {
    if (payment === undefined) return;
    const { stripe: paying, elements: stripeElements, element, topUpId } = payment;
    say('');
    // Cards stay on this page (3-D Secure in Stripe's frame); a payment method that must redirect comes back to the app.
    const { error } = await paying.confirmPayment({
      elements: stripeElements,
      redirect: 'if_required',
      confirmParams: { return_url: `${location.origin}/` },
    });
    if (error !== undefined) return void say(paymentErrorMessage(error));
    elements.paymentForm.hidden = true;
    element.destroy();
    if (payment?.element === element) payment = undefined;
    await awaitCredit(topUpId);
  }

  async function open(): Promise<void> {
    say('');
    const { currency, topUp, stripePublishableKey } = await api.get<BillingConfig>('/billing/config');
    if (stripePublishableKey === null) return void say('Payments are not configured on this server.');
    elements.amounts.replaceChildren(
      ...presetAmounts(topUp.minMinor, topUp.maxMinor).map((amountMinor) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = formatMinor(amountMinor, currency);
        button.addEventListener('click', () => void start(amountMinor, stripePublishableKey).catch((error: unknown) => say(messageOf(error))));
        return button;
      }),
    );
    elements.panel.hidden = false;
    await listTopUps();
  }

  elements.open.addEventListener('click', () => void open().catch((error: unknown) => say(messageOf(error))));
  elements.paymentForm.addEventListener('submit', (event) => {
    event.preventDefault();
    elements.pay.disabled = true;
    pay()
      .catch((error: unknown) => say(messageOf(error)))
      .finally(() => (elements.pay.disabled = false));
  });
  return {
    async settleReturn() {
      const payment = returned;
      returned = undefined;
      if (payment === undefined) return;
      if (!mayBeCredited(payment)) return void say(NOT_PAID);
      const { topUps } = await api.get<{ topUps: Receipt[] }>('/billing/top-ups');
      const topUp = topUps.find(({ paymentReference }) => paymentReference === payment.paymentIntentId);
      if (topUp === undefined) return void say('That payment is not a top-up of this account: no credit was added.');
      await awaitCredit(topUp.id);
    },
  };
}
