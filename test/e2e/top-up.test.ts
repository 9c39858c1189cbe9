// A card top-up as a user makes it in the app, in real Chromium against the real API with Stripe keys. The real
// Stripe.js cannot be reached here, so a stand-in (test/harness/stripe-js-stand-in.js) is served at js.stripe.com and
// its calls to api.stripe.com go to the fake Stripe API, which, as Stripe does, then sends the signed
// payment_intent.succeeded webhook to the app's endpoint. The page's own Content-Security-Policy stays in force.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, signIn } from '../harness/api.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { routeStripeToFake, useFakeStripe } from '../harness/fake-stripe.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const UI_WAIT = { timeout: 15_000, interval: 100 };
const TEST_MS = 60_000;

describe.skipIf(chromiumProvision.via === 'missing')('card top-up in the app through the Payment Element', () => {
  const fake = useFakeStripe();
  let database: TestDatabase;
  let app: ServedSoftphoneApp;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    app = await serveSoftphoneApp(database, { payments: { provider: fake().provider, publishableKey: 'pk_test_fake' } });
    fake().sendWebhooksTo(new URL('/billing/stripe/webhook', app.url).href);
  });
  afterAll(async () => {
    await app?.stop();
    await database?.close();
  });
  const tabs = useAppTabs();

  /** A verified user signed in on a fresh tab with the Stripe.js stand-in. */
  async function userOnScreen(): Promise<{ page: Page; accountId: string }> {
    const user = await signIn(app.api, database.db);
    const page = await tabs.open(app.url, (context) => routeStripeToFake(context, fake()));
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#balance').textContent(), UI_WAIT).toBe('0.00 USD');
    return { page, accountId: user.accountId };
  }

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();
  const topUpEntries = (accountId: string) =>
    database.db.selectFrom('ledger_entries').select(['amount', 'reference']).where('account_id', '=', accountId).where('kind', '=', 'top_up').execute();

  async function payOnScreen(page: Page, amount: string, card: string): Promise<void> {
    await page.getByRole('button', { name: 'Top up' }).click();
    // The amounts on offer come from the server's bounds (500 to 50000 minor units by default).
    await expect
      .poll(() => page.getByRole('group', { name: 'Amount to add' }).getByRole('button').allTextContents(), UI_WAIT)
      .toEqual(['5.00 USD', '10.00 USD', '20.00 USD', '50.00 USD']);
    await page.getByRole('button', { name: amount }).click();
    await page.getByLabel('Card number').fill(card);
    await page.getByRole('button', { name: 'Pay' }).click();
  }

  it('pays 10.00 USD: the balance rises once, when the signed webhook lands, and the receipt shows', { timeout: TEST_MS }, async () => {
    const { page, accountId } = await userOnScreen();
    await payOnScreen(page, '10.00 USD', '4242 4242 4242 4242');

    await expect.poll(text(page, '#top-up-message'), UI_WAIT).toBe('Credit added.');
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('10.00 USD');
    expect(await page.locator('#top-up-receipt').textContent()).toMatch(/^Receipt: 10\.00 USD paid .+, payment pi_[0-9a-f]+$/);
    const entries = await topUpEntries(accountId);
    expect(entries).toHaveLength(1);
    expect(fake().webhooks.map(({ status }) => status)).toEqual([200]);
    const confirms = fake().requests.filter(({ path }) => path.endsWith('/confirm'));
    expect(confirms).toHaveLength(1);
    // Stripe.js confirmed with the publishable key GET /billing/config gives (POST /billing/top-ups carries none).
    expect(confirms[0]!.form.key).toBe('pk_test_fake');

    // Stripe delivers at least once: the same signed event again changes nothing.
    const [sent] = fake().webhooks;
    const again = await app.api.inject({
      method: 'POST',
      url: '/billing/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': sent!.signature },
      payload: sent!.payload,
    });
    expect(again.statusCode).toBe(200);
    expect(await topUpEntries(accountId)).toEqual(entries);
    await page.reload();
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('10.00 USD');

    // After the reload the receipt line is gone; the panel's list of top-ups opens it again.
    expect(await page.locator('#top-up-receipt').textContent()).toBe('');
    await page.getByRole('button', { name: 'Top up' }).click();
    const list = page.getByRole('region', { name: 'Top-ups and receipts' });
    await expect.poll(() => list.getByRole('listitem').allTextContents(), UI_WAIT).toEqual([expect.stringMatching(/^10\.00 USD, paid .+$/)]);
    expect(await page.locator('#top-up-none').isVisible()).toBe(false);
    await list.getByRole('button', { name: /^Receipt for 10\.00 USD, paid/ }).click();
    await expect.poll(text(page, '#top-up-receipt'), UI_WAIT).toMatch(/^Receipt: 10\.00 USD paid .+, payment pi_[0-9a-f]+$/);
    expect(await page.locator('#top-up-receipt').textContent()).toContain(entries[0]!.reference);
  });

  /** The bank's 3-D Secure challenge, in Stripe's frame from hooks.stripe.com (the page's frame-src allows it). */
  const challenge = (page: Page) => page.frameLocator('iframe[title="3D Secure authentication"]');
  const webhooksFor = (intentId: string) => fake().webhooks.filter(({ payload }) => payload.includes(`"id":"${intentId}"`));

  it('a card that needs 3-D Secure pays once the bank confirms: the balance rises exactly once', { timeout: TEST_MS }, async () => {
    const { page, accountId } = await userOnScreen();
    await payOnScreen(page, '20.00 USD', '4000 0025 0000 3155');
    await challenge(page).getByRole('button', { name: 'Complete' }).click();

    await expect.poll(text(page, '#top-up-message'), UI_WAIT).toBe('Credit added.');
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('20.00 USD');
    expect(await page.locator('iframe').count()).toBe(0);
    const entries = await topUpEntries(accountId);
    expect(entries).toHaveLength(1);
    // The fake records a webhook once the app has answered it.
    await expect.poll(() => webhooksFor(entries[0]!.reference!).map(({ status }) => status), UI_WAIT).toEqual([200]);
  });

  it('a card whose 3-D Secure fails is explained in plain words, with no credit', { timeout: TEST_MS }, async () => {
    const { page, accountId } = await userOnScreen();
    const webhooksBefore = fake().webhooks.length;
    await payOnScreen(page, '10.00 USD', '4000 0025 0000 3155');
    await challenge(page).getByRole('button', { name: 'Fail' }).click();

    await expect
      .poll(text(page, '#top-up-message'), UI_WAIT)
      .toBe('Your bank did not confirm the payment: no money was taken. Try again, or try another card.');
    expect(await page.getByLabel('Card number').isVisible()).toBe(true);
    expect(await page.locator('#balance').textContent()).toBe('0.00 USD');
    expect(await topUpEntries(accountId)).toEqual([]);
    expect(fake().webhooks).toHaveLength(webhooksBefore);
  });

  /** Starts a top-up of `amount` on screen (the card form up) and what POST /billing/top-ups answered. */
  async function startOnScreen(page: Page, amount: string): Promise<{ topUpId: string; clientSecret: string }> {
    await page.getByRole('button', { name: 'Top up' }).click();
    const started = page.waitForResponse((response) => response.url().endsWith('/billing/top-ups') && response.request().method() === 'POST');
    await page.getByRole('button', { name: amount }).click();
    const answer = (await (await started).json()) as { topUpId: string; clientSecret: string };
    await page.getByLabel('Card number').waitFor();
    return answer;
  }

  /** The address Stripe sends the browser back to after a payment method that redirects (the app's return_url). */
  const returnUrl = (clientSecret: string, redirectStatus: string) =>
    `${app.url}?${new URLSearchParams({ payment_intent: clientSecret.split('_secret_')[0]!, payment_intent_client_secret: clientSecret, redirect_status: redirectStatus })}`;

  it('a payment that went to the bank and back is credited once, its receipt shown, the address cleaned', { timeout: TEST_MS }, async () => {
    const { page, accountId } = await userOnScreen();
    const { clientSecret } = await startOnScreen(page, '50.00 USD');
    // Paid on the bank's page: Stripe confirms the intent and sends its webhook, then the browser comes back.
    const confirmed = await fetch(`${fake().url}/v1/payment_intents/${clientSecret.split('_secret_')[0]}/confirm`, {
      method: 'POST',
      body: new URLSearchParams({ key: 'pk_test_fake', client_secret: clientSecret, 'payment_method_data[card][number]': '4242424242424242' }),
    });
    expect(confirmed.status).toBe(200);
    await page.goto(returnUrl(clientSecret, 'succeeded'));
    expect(page.url()).toBe(app.url);

    await expect.poll(text(page, '#top-up-message'), UI_WAIT).toBe('Credit added.');
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('50.00 USD');
    expect(await page.locator('#top-up-receipt').textContent()).toMatch(/^Receipt: 50\.00 USD paid .+, payment pi_[0-9a-f]+$/);
    expect(await topUpEntries(accountId)).toHaveLength(1);
    await page.reload();
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('50.00 USD');
    expect(await page.locator('#top-up-message').textContent()).toBe('');
  });

  it('a payment that failed at the bank is explained in plain words, with no credit', { timeout: TEST_MS }, async () => {
    const { page, accountId } = await userOnScreen();
    const { clientSecret } = await startOnScreen(page, '5.00 USD');
    await page.goto(returnUrl(clientSecret, 'failed'));
    expect(page.url()).toBe(app.url);

    await expect.poll(text(page, '#top-up-message'), UI_WAIT).toBe('The payment did not go through: no money was taken. Try again.');
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('0.00 USD');
    expect(await topUpEntries(accountId)).toEqual([]);
  });

  it('a declined card is explained in plain words and the balance does not change', { timeout: TEST_MS }, async () => {
    const { page, accountId } = await userOnScreen();
    const webhooksBefore = fake().webhooks.length;
    await payOnScreen(page, '20.00 USD', '4000 0000 0000 0002');

    await expect.poll(text(page, '#top-up-message'), UI_WAIT).toBe('Your card was declined: no money was taken. Try another card.');
    // The card form stays, to try another card.
    expect(await page.getByLabel('Card number').isVisible()).toBe(true);
    expect(await page.locator('#balance').textContent()).toBe('0.00 USD');
    expect(await topUpEntries(accountId)).toEqual([]);
    expect(fake().webhooks).toHaveLength(webhooksBefore);
    const topUp = await database.db.selectFrom('top_ups').select(['status', 'amount_minor']).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(topUp).toEqual({ status: 'pending', amount_minor: 2000 });
  });
});
