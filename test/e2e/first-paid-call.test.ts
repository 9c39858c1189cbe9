// A new user's whole way to a paid call, on screen only, in real Chromium: sign up and confirm the address, find a
// call refused for want of credit, buy credit with a card through the Payment Element (the Stripe.js stand-in and the
// fake Stripe API sending the signed webhook, as in top-up.test.ts), call a carrier's number through real
// drachtio-server and FreeSWITCH (sipp as the carrier), hang up, and see what the call cost: in the history row and
// in the balance, to the cent.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { TEST_PASSWORD, latestMail, linkPath, uniqueEmail } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { routeStripeToFake, useFakeStripe } from '../harness/fake-stripe.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { sippBinary } from '../harness/sipp.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const TEST_MS = 120_000;
const UI_WAIT = { timeout: 15_000, interval: 100 };
const CARRIER_NUMBER = '+14155550100';

describe.skipIf(missing)("a new user's first paid call, on screen", () => {
  const fake = useFakeStripe();
  const media = useFreeSwitch();
  // 0.60 a minute, billed per started minute: a short call costs exactly 0.60.
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { carrier } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  let app: ServedSoftphoneApp;

  beforeAll(async () => {
    app = await serveSoftphoneApp(suite.database, {
      sip: { ...suite.stack.config.sip!, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` },
      payments: { provider: fake().provider, publishableKey: 'pk_test_fake' },
    });
    fake().sendWebhooksTo(new URL('/billing/stripe/webhook', app.url).href);
  });
  afterAll(() => app?.stop());
  const tabs = useAppTabs();

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  it('signs up, is refused a call without credit, tops up 10.00 by card, calls a carrier, and sees the call cost 0.60', { timeout: TEST_MS }, async () => {
    const email = uniqueEmail('first-call');
    const page = await tabs.open(app.url, (context) => routeStripeToFake(context, fake()));
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(text(page, '#auth-message'), UI_WAIT).toMatch(/check your mail/);
    const mail = await latestMail(suite.database.db, email, 'verify_email');
    await page.goto(new URL(linkPath(mail.body_text), app.url).href);
    await expect.poll(text(page, '#auth-message'), UI_WAIT).toBe('Address confirmed: sign in.');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('0.00 USD');

    // No credit: the call is refused before any carrier is tried, and the user is told why.
    const peer = await carrier('first-call-carrier', 'uas-answer-expect-rtp-offer.xml', { extraArgs: ['-rtp_echo'] });
    await page.getByLabel('Number to call').fill(CARRIER_NUMBER);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call failed: 402 /);

    await page.getByRole('button', { name: 'Top up' }).click();
    await page.getByRole('button', { name: '10.00 USD' }).click();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect.poll(text(page, '#top-up-message'), UI_WAIT).toBe('Credit added.');
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('10.00 USD');

    await page.getByLabel('Number to call').fill(CARRIER_NUMBER);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
    await expect.poll(text(page, '#call-cost'), UI_WAIT).toMatch(/0\.60 USD/);
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended \(\d+:\d\d\)$/);

    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const historyRow = () => page.locator('#history-rows tr').first().locator('td').allTextContents();
    await expect.poll(historyRow, UI_WAIT).toEqual([
      expect.any(String),
      'Outgoing',
      expect.any(String),
      CARRIER_NUMBER,
      expect.stringMatching(/^ended/),
      expect.stringMatching(/^\d+:\d\d$/),
      '0.60 USD',
      // What this browser measured, if the call lasted long enough to measure (call-quality.test.ts checks it).
      expect.stringMatching(/^$|\(MOS \d\.\d\)$/),
    ]);
    await expect.poll(text(page, '#balance'), UI_WAIT).toBe('9.40 USD');
  });
});
