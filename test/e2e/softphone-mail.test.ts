// The app's sign-up and sign-in screens where mail cannot leave (SMTP_URL unset: GET /auth/config says `log`) and
// where it can, in real Chromium against the real API; no SIP server is needed for these screens.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, latestMail, linkPath, uniqueEmail } from '../harness/api.ts';
import { chromiumProvision, launchChromium } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { serveSoftphoneApp, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const UI_WAIT = { timeout: 15_000, interval: 100 };
const LOG_NOTE = "No mail server is set up: the link is in the log of the terminal running Dialo (line 'mail not sent').";

describe.skipIf(chromiumProvision.via === 'missing')('softphone app: where the mail is', () => {
  let database: TestDatabase;
  let logMode: ServedSoftphoneApp;
  let smtpMode: ServedSoftphoneApp;
  let browser: Browser;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    logMode = await serveSoftphoneApp(database, { mailDelivery: 'log' });
    smtpMode = await serveSoftphoneApp(database, { mailDelivery: 'smtp' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await logMode?.stop();
    await smtpMode?.stop();
    await database?.close();
  });

  async function openApp(served: ServedSoftphoneApp): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(served.url);
    return page;
  }
  const message = (page: Page) => () => page.locator('#auth-message').textContent();

  async function signUpOnScreen(page: Page, email: string): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
  }

  it('after sign-up without a mail server, says the link is in the log', async () => {
    const page = await openApp(logMode);
    await signUpOnScreen(page, uniqueEmail('applog'));
    await expect.poll(message(page), UI_WAIT).toBe(`Almost there: check your mail: we sent you a link to continue. Then sign in here. ${LOG_NOTE}`);
  });

  it('with a mail server, says only to check the mail', async () => {
    const page = await openApp(smtpMode);
    await signUpOnScreen(page, uniqueEmail('appsmtp'));
    await expect.poll(message(page), UI_WAIT).toBe('Almost there: check your mail: we sent you a link to continue. Then sign in here.');
  });

  it('signing in before verifying says so and offers a new link, which then verifies the account', async () => {
    const email = uniqueEmail('early');
    const page = await openApp(logMode);
    await signUpOnScreen(page, email);
    await expect.poll(message(page), UI_WAIT).toMatch(/^Almost there/);
    const first = await latestMail(database.db, email, 'verify_email');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(message(page), UI_WAIT).toBe(`This address is not confirmed yet: open the link in the mail we sent you, then sign in. ${LOG_NOTE}`);
    await page.getByRole('button', { name: 'Send the link again' }).click();
    await expect.poll(message(page), UI_WAIT).toBe(`We sent a new link. ${LOG_NOTE}`);
    const second = await latestMail(database.db, email, 'verify_email');
    expect(second.id).toBeGreaterThan(first.id);

    await page.goto(new URL(linkPath(second.body_text), logMode.url).href);
    await expect.poll(message(page), UI_WAIT).toBe('Address confirmed: sign in.');
    expect(await page.getByRole('button', { name: 'Send the link again' }).isHidden()).toBe(true);
  });

  it('forgot password without a mail server says where the link is', async () => {
    const page = await openApp(logMode);
    await page.getByLabel('E-mail').fill(uniqueEmail('forgot'));
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    await expect.poll(message(page), UI_WAIT).toBe(`if this address has an account, we sent it a link. ${LOG_NOTE}`);
  });
});
