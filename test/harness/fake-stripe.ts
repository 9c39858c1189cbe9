/**
 * A local stand-in for api.stripe.com (unreachable here): answers the endpoints Dialo uses in Stripe's
 * documented shapes, honours Idempotency-Key like Stripe (same key and parameters, same response; other parameters
 * refused), refuses refunds as Stripe does (an unknown payment, more than is left), and records every request.
 * It also confirms a payment intent as Stripe.js does from the browser (POST /v1/payment_intents/:id/confirm with the
 * publishable key and client secret; test card numbers 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined,
 * 4000 0025 0000 3155 first needs 3-D Secure) and then, like Stripe, sends the signed payment_intent.succeeded event to
 * the webhook endpoint it was given. The bank's answer to a 3-D Secure challenge, which Stripe learns from the bank,
 * reaches it from the Stripe.js stand-in's challenge frame as POST /v1/payment_intents/:id/authenticate (not Stripe's API).
 * Events are signed with the real scheme (stripe.webhooks.generateTestHeaderString).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll } from 'vitest';
import type { PaymentProvider } from '../../core/billing/payment-provider.ts';
import { stripePayments } from '../../payments/stripe.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly authorization: string | undefined;
  /** The form-encoded body as flat keys: `metadata[dialo_account_id]`. */
  readonly form: Record<string, string>;
}

/** A webhook the fake sent, and the endpoint's answer. */
export interface SentWebhook {
  readonly payload: string;
  readonly signature: string;
  readonly status: number;
}

export interface FakeStripe {
  readonly stripe: Stripe;
  /** Where it listens, as api.stripe.com would: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The payment provider port over {@link stripe} and {@link webhookSecret}, as main.ts builds it. */
  readonly provider: PaymentProvider;
  readonly requests: RecordedRequest[];
  readonly webhookSecret: string;
  /** A webhook body and its Stripe-Signature header for an event carrying `object`, signed now or at `signedAt` (unix s). */
  signedEvent(type: string, object: Record<string, unknown>, id?: string, signedAt?: number): { payload: string; signature: string; id: string };
  /** The next request is answered with this Stripe error instead. */
  failNext(status: number, error: { type: string; message: string; code?: string }): void;
  /** Sends each payment it confirms as a signed payment_intent.succeeded event to `url` (POST /billing/stripe/webhook). */
  sendWebhooksTo(url: string): void;
  /** Every webhook sent so far, once answered. */
  readonly webhooks: SentWebhook[];
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

function metadataOf(form: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(form)
      .filter(([key]) => key.startsWith('metadata['))
      .map(([key, value]) => [key.slice('metadata['.length, -1), value]),
  );
}

function paymentIntent(form: Record<string, string>) {
  const intentId = id('pi');
  return {
    id: intentId,
    object: 'payment_intent',
    amount: Number(form.amount),
    amount_received: 0,
    currency: form.currency,
    client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`,
    status: 'requires_payment_method',
    description: form.description ?? null,
    metadata: metadataOf(form),
    livemode: false,
    created: Math.floor(Date.now() / 1000),
  };
}

class StripeRefusal {
  constructor(
    readonly message: string,
    readonly code: string,
    readonly status = 400,
    readonly type = 'invalid_request_error',
  ) {}
}

type Intent = ReturnType<typeof paymentIntent> & {
  readonly next_action?: { readonly type: string; readonly use_stripe_sdk: { readonly type: string } };
  readonly last_payment_error?: { readonly type: string; readonly code: string; readonly message: string };
};

/** Stripe's test cards: the one that pays, the generic decline, and one that needs 3-D Secure every time. */
const PAYING_CARD = '4242424242424242';
const DECLINED_CARD = '4000000000000002';
const AUTHENTICATION_CARD = '4000002500003155';

type Intents = Map<string, { intent: Intent; refunded: number }>;

/** The intent `form` may act on as Stripe.js (publishable key and client secret), or Stripe's refusal. */
function intentForBrowser(intentId: string, form: Record<string, string>, intents: Intents) {
  const found = intents.get(intentId);
  if (found === undefined || form.client_secret !== found.intent.client_secret || !form.key?.startsWith('pk_')) {
    return new StripeRefusal(`No such payment_intent: '${intentId}'`, 'resource_missing', 404);
  }
  return found;
}

/** Confirms an intent with a card as Stripe.js does with the publishable key, or Stripe's refusal. */
function confirm(intentId: string, form: Record<string, string>, intents: Intents) {
  const found = intentForBrowser(intentId, form, intents);
  if (found instanceof StripeRefusal) return found;
  if (found.intent.status === 'succeeded') {
    return new StripeRefusal('This PaymentIntent has already succeeded.', 'payment_intent_unexpected_state');
  }
  const number = (form['payment_method_data[card][number]'] ?? '').replace(/\s/g, '');
  if (number === DECLINED_CARD) return new StripeRefusal('Your card was declined.', 'card_declined', 402, 'card_error');
  if (number === AUTHENTICATION_CARD) {
    found.intent = { ...found.intent, status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } } };
    return found.intent;
  }
  if (number !== PAYING_CARD) return new StripeRefusal('Your card number is incorrect.', 'incorrect_number', 402, 'card_error');
  found.intent = { ...found.intent, status: 'succeeded', amount_received: found.intent.amount };
  return found.intent;
}

/** The bank's answer to the 3-D Secure challenge (`outcome`: complete or fail): paid, or back to a new payment method as Stripe leaves it. */
function authenticate(intentId: string, form: Record<string, string>, intents: Intents) {
  const found = intentForBrowser(intentId, form, intents);
  if (found instanceof StripeRefusal) return found;
  if (found.intent.status !== 'requires_action') {
    return new StripeRefusal(`This PaymentIntent's status is ${found.intent.status}: it needs no authentication.`, 'payment_intent_unexpected_state');
  }
  const { next_action: _done, ...intent } = found.intent;
  found.intent =
    form.outcome === 'complete'
      ? { ...intent, status: 'succeeded', amount_received: intent.amount }
      : {
          ...intent,
          status: 'requires_payment_method',
          last_payment_error: {
            type: 'invalid_request_error',
            code: 'payment_intent_authentication_failure',
            message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
          },
        };
  return found.intent;
}

/** A refund of what is left of a payment intent this server created, or Stripe's refusal. */
function refund(form: Record<string, string>, intents: Intents) {
  const intent = intents.get(form.payment_intent ?? '');
  if (intent === undefined) return new StripeRefusal(`No such payment_intent: '${form.payment_intent}'`, 'resource_missing');
  const left = intent.intent.amount - intent.refunded;
  if (left === 0) return new StripeRefusal('Charge has already been refunded.', 'charge_already_refunded');
  const amount = form.amount === undefined ? left : Number(form.amount);
  if (amount > left) return new StripeRefusal(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount_too_large');
  intent.refunded += amount;
  return {
    id: id('re'),
    object: 'refund',
    amount,
    currency: intent.intent.currency,
    payment_intent: form.payment_intent,
    status: 'succeeded',
    metadata: metadataOf(form),
    created: Math.floor(Date.now() / 1000),
  };
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const byKey = new Map<string, { body: string; result: unknown }>();
  const intents: Intents = new Map();
  const webhooks: SentWebhook[] = [];
  let webhookUrl: string | undefined;
  let failure: { status: number; error: { type: string; message: string; code?: string } } | undefined;
  const server: Server = createServer((request, response) => {
    void body(request).then((text) => {
      const form = Object.fromEntries(new URLSearchParams(text));
      const path = (request.url ?? '').split('?')[0] ?? '';
      const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
      requests.push({ method: request.method ?? '', path, idempotencyKey, authorization: request.headers.authorization, form });
      const answer = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
        response.end(JSON.stringify(json));
      };
      if (failure !== undefined) {
        const { status, error } = failure;
        failure = undefined;
        return answer(status, { error });
      }
      const confirming = /^\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(path)?.[1];
      const authenticating = /^\/v1\/payment_intents\/([^/]+)\/authenticate$/.exec(path)?.[1];
      const create =
        request.method === 'POST' && path === '/v1/payment_intents'
          ? (fields: Record<string, string>) => {
              const intent = paymentIntent(fields);
              intents.set(intent.id, { intent, refunded: 0 });
              return intent;
            }
          : request.method === 'POST' && path === '/v1/refunds'
            ? (fields: Record<string, string>) => refund(fields, intents)
            : request.method === 'POST' && confirming !== undefined
              ? (fields: Record<string, string>) => confirm(confirming, fields, intents)
              : request.method === 'POST' && authenticating !== undefined
                ? (fields: Record<string, string>) => authenticate(authenticating, fields, intents)
                : undefined;
      if (create === undefined)
        return answer(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${request.method}: ${path})` } });
      const key = idempotencyKey === undefined ? undefined : `${path} ${idempotencyKey}`;
      const earlier = key === undefined ? undefined : byKey.get(key);
      if (earlier !== undefined && earlier.body !== text) {
        return answer(400, {
          error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' },
        });
      }
      const result = earlier?.result ?? create(form);
      if (result instanceof StripeRefusal) return answer(result.status, { error: { type: result.type, message: result.message, code: result.code } });
      if (key !== undefined) byKey.set(key, { body: text, result });
      answer(200, result);
      const paid = (confirming ?? authenticating) !== undefined && (result as Intent).status === 'succeeded';
      if (paid && webhookUrl !== undefined) void send(webhookUrl, signedEvent('payment_intent.succeeded', result as Intent));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stripe = new Stripe('sk_test_fake', { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const signedEvent: FakeStripe['signedEvent'] = (type, object, eventId = id('evt'), signedAt = Math.floor(Date.now() / 1000)) => {
    const payload = JSON.stringify({
      id: eventId,
      object: 'event',
      type,
      api_version: Stripe.API_VERSION,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    });
    return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret, timestamp: signedAt }), id: eventId };
  };
  const send = async (url: string, { payload, signature }: { payload: string; signature: string }) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
    webhooks.push({ payload, signature, status: response.status });
  };
  return {
    stripe,
    url: `http://127.0.0.1:${port}`,
    provider: stripePayments(stripe, webhookSecret),
    requests,
    webhookSecret,
    signedEvent,
    sendWebhooksTo(url) {
      webhookUrl = url;
    },
    webhooks,
    failNext(status, error) {
      failure = { status, error };
    },
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Starts the fake for the enclosing file (closed after it); call the result inside tests and hooks. */
export function useFakeStripe(): () => FakeStripe {
  let fake: FakeStripe | undefined;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(() => fake?.close());
  return () => {
    if (fake === undefined) throw new Error('fake Stripe not ready: use it inside a test or hook');
    return fake;
  };
}

/** The intent id of a started top-up, and the object Stripe's payment_intent.succeeded would carry for it. */
export function succeededIntent(started: { topUpId: string; clientSecret: string }, accountId: string, amountMinor: number) {
  const intentId = started.clientSecret.split('_secret_')[0]!;
  const succeeded = {
    id: intentId,
    object: 'payment_intent',
    amount: amountMinor,
    amount_received: amountMinor,
    currency: 'usd',
    metadata: { dialo_account_id: accountId, dialo_top_up_id: started.topUpId },
  };
  return { intentId, succeeded };
}

const STRIPE_JS_STAND_IN = resolve(import.meta.dirname, 'stripe-js-stand-in.js');

/** The bank's 3-D Secure page in the stand-in's challenge frame, like Stripe's test page: Complete or Fail. */
const CHALLENGE_PAGE = `<!doctype html><title>3D Secure test payment</title>
<p>This is a test payment that needs authentication.</p>
<button type="button" onclick="parent.postMessage('complete', '*')">Complete</button>
<button type="button" onclick="parent.postMessage('fail', '*')">Fail</button>`;

/**
 * Stripe.js and its API for a browser context: the stand-in (stripe-js-stand-in.js) is served at js.stripe.com, its
 * 3-D Secure challenge page at hooks.stripe.com, and its calls to api.stripe.com reach `fake`. The page's own Content-Security-Policy stays in force.
 */
export async function routeStripeToFake(context: BrowserContext, fake: FakeStripe): Promise<void> {
  await context.route('https://js.stripe.com/**', (route) => route.fulfill({ contentType: 'text/javascript', path: STRIPE_JS_STAND_IN }));
  await context.route('https://hooks.stripe.com/**', (route) => route.fulfill({ contentType: 'text/html', body: CHALLENGE_PAGE }));
  await context.route('https://api.stripe.com/**', async (route) => {
    const request = route.request();
    const answer = await fetch(`${fake.url}${new URL(request.url()).pathname}`, {
      method: request.method(),
      headers: { 'content-type': (await request.headerValue('content-type')) ?? 'application/x-www-form-urlencoded' },
      body: request.postData() ?? null,
    });
    await route.fulfill({
      status: answer.status,
      contentType: 'application/json',
      headers: { 'access-control-allow-origin': '*' },
      body: await answer.text(),
    });
  });
}
