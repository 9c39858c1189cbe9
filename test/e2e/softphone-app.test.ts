// The softphone app as a user meets it: loaded in real Chromium from the API's own origin (Fastify on a loopback
// port), driven only through what is on screen (labels, buttons, status lines). Registration and calls are real:
// SIP over drachtio-server's WebSocket through our registrar and B2BUA, WebRTC media tab to tab.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, accountIdOf, latestMail, linkPath, signIn, uniqueEmail } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing';
const TEST_MS = 90_000;
const UI_WAIT = { timeout: 15_000, interval: 100 };

/** The app's <audio> element, as far as the test reads it (Node's types have no DOM). */
interface RemoteAudio {
  readonly srcObject: { getAudioTracks(): { readyState: string }[] } | null;
}

describe.skipIf(missing)('softphone app in Chromium, served by the API', () => {
  const suite = useCallStack({});
  const { did } = inboundFixtures(() => suite.database);
  let app: ServedSoftphoneApp;
  let numbers = 0;
  /** A US number of its own for each user: +14155551800, +14155551801, … (four digits, however many users a run makes). */
  const nextNumber = () => `+1415555${1800 + numbers++}`;

  /** The stack's SIP settings with what an operator sets as SIP_WS_URL: the API hands it to the app with the credentials. */
  const sipSettings = () => ({ ...suite.stack.config.sip!, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` });

  beforeAll(async () => {
    app = await serveSoftphoneApp(suite.database, { sip: sipSettings() });
  });
  afterAll(() => app?.stop());
  // Uncaught errors and CSP refusals in the app fail the test that caused them.
  const tabs = useAppTabs();

  /** A fresh tab (its own cookies: another person) on the app (or on `served`). */
  const openApp = (served = app): Promise<Page> => tabs.open(served.url);

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  async function signInOnScreen(page: Page, email: string, password = TEST_PASSWORD): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
  }

  /** A verified user (through the API), with a number, signed in on its own tab. */
  /** Another user calls `callee` on screen: it rings there, is declined, and the caller sees 603. */
  /** `caller` dials `callee` on screen, whose tab rings. */
  async function dialsAndRings(caller: { page: Page }, callee: { page: Page; number: string }): Promise<void> {
    await caller.page.getByLabel('Number to call').fill(callee.number);
    await caller.page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(callee.page, '#call-state'), UI_WAIT).toBe('Incoming call');
  }

  async function ringsAndDeclines(callee: { page: Page; number: string }): Promise<void> {
    const caller = await userOnScreen();
    await dialsAndRings(caller, callee);
    await callee.page.getByRole('button', { name: 'Decline' }).click();
    await expect.poll(text(caller.page, '#call-outcome'), UI_WAIT).toBe('Call failed: 603 Decline');
  }

  async function userOnScreen(served = app) {
    const user = await signIn(served.api, suite.database.db);
    const number = nextNumber();
    await did(number, user.accountId);
    const page = await openApp(served);
    await signInOnScreen(page, user.email);
    return { ...user, number, page };
  }

  it('signs up, confirms the mail, signs in, calls another user who answers, hangs up; history and credit show', { timeout: TEST_MS }, async () => {
    const email = uniqueEmail('app');
    const alice = await openApp();
    await alice.getByLabel('E-mail').fill(email);
    await alice.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await alice.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(text(alice, '#auth-message'), UI_WAIT).toMatch(/check your mail/);

    // The user follows the link in the verification mail, then comes back to the app.
    const mail = await latestMail(suite.database.db, email, 'verify_email');
    await alice.goto(new URL(linkPath(mail.body_text), app.url).href);
    await expect.poll(text(alice, '#auth-message'), UI_WAIT).toBe('Address confirmed: sign in.');
    expect(new URL(alice.url()).pathname).toBe('/');
    const account = { id: await accountIdOf(suite.database.db, email) };
    const aliceNumber = nextNumber();
    await did(aliceNumber, account.id);
    await signInOnScreen(alice, email);
    expect(await alice.locator('#account-email').textContent()).toBe(email);
    await expect.poll(text(alice, '#own-number'), UI_WAIT).toBe(aliceNumber);
    await expect.poll(text(alice, '#balance'), UI_WAIT).toMatch(/^\d+\.\d{2,6} [A-Z]{3}$/);
    // This API has no Stripe keys: the app says so instead of offering a payment it cannot take.
    await alice.getByRole('button', { name: 'Top up' }).click();
    await expect.poll(text(alice, '#top-up-message'), UI_WAIT).toBe('Payments are not configured on this server.');

    const bob = await userOnScreen();
    await alice.getByLabel('Number to call').fill(bob.number);
    await alice.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
    // The callee sees the caller's own number.
    expect(await bob.page.locator('#call-party').textContent()).toBe(`From ${aliceNumber}`);
    expect(await alice.locator('#call-state').textContent()).toMatch(/^(Calling|Ringing)…$/);
    await bob.page.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(text(alice, '#call-state'), UI_WAIT).toBe('Connected');
    await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Connected');
    expect(await alice.locator('#call-timer').textContent()).toMatch(/^\d+:\d\d$/);
    // The caller sees what the call costs (GET /calls/quote): a call to another user's number is free.
    await expect.poll(text(alice, '#call-cost'), UI_WAIT).toBe('Free call (on-net)');
    // Each side plays what it receives: the page's audio element holds the far end's live track.
    const playing = (page: Page) =>
      page.locator('#remote-audio').evaluate((audio) => (audio as unknown as RemoteAudio).srcObject?.getAudioTracks().map((track) => track.readyState) ?? []);
    await expect.poll(() => playing(alice), UI_WAIT).toEqual(['live']);
    await expect.poll(() => playing(bob.page), UI_WAIT).toEqual(['live']);

    // Hold goes to the callee and back as a re-INVITE through the B2BUA: the button flips only once it is accepted.
    await alice.getByRole('button', { name: 'Hold' }).click();
    await alice.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 10_000 });
    await alice.getByRole('button', { name: 'Resume' }).click();
    await alice.getByRole('button', { name: 'Hold' }).waitFor({ timeout: 10_000 });
    await alice.getByRole('button', { name: 'Mute' }).click();
    expect(await alice.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed')).toBe('true');
    await alice.getByRole('group', { name: 'Keypad tones' }).getByRole('button', { name: '5' }).click();

    await alice.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(alice, '#call-outcome'), UI_WAIT).toMatch(/^Call ended \(\d+:\d\d\)$/);
    await expect.poll(text(bob.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
    // Back to the dialer, and the call is in both histories once the server has closed its record.
    await alice.getByLabel('Number to call').waitFor();
    const historyRow = (page: Page) => page.locator('#history-rows tr').first().locator('td');
    await expect
      .poll(() => historyRow(alice).allTextContents(), UI_WAIT)
      // The last cell: the call's quality as this browser reported it (none for a call too short to measure).
      .toEqual([
        expect.any(String),
        'Dialo to Dialo',
        aliceNumber,
        bob.number,
        expect.stringMatching(/^ended/),
        expect.stringMatching(/^\d+:\d\d$/),
        '',
        expect.stringMatching(/^((good|fair|poor) \(MOS \d\.\d\))?$/),
      ]);
    await expect
      .poll(() => historyRow(bob.page).allTextContents(), UI_WAIT)
      .toEqual(expect.arrayContaining([aliceNumber, bob.number, expect.stringMatching(/^ended/)]));
    await expect.poll(text(alice, '#balance'), UI_WAIT).toMatch(/^\d+\.\d{2,6} [A-Z]{3}$/);

    // Signing out takes the phone off the registrar at once (REGISTER Expires: 0), not when the binding lapses.
    const bindings = () => suite.database.db.selectFrom('registrations').select('transport').where('account_id', '=', account.id).execute();
    expect(await bindings()).toEqual([{ transport: 'ws' }]);
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await alice.locator('#registration-status').textContent()).toBe('Offline');
    expect(await bindings()).toEqual([]);
  });

  it('the callee declines: the caller sees the call fail with 603', { timeout: TEST_MS }, async () => {
    const [alice, bob] = [await userOnScreen(), await userOnScreen()];
    await alice.page.getByLabel('Number to call').fill(bob.number);
    await alice.page.getByRole('button', { name: 'Call', exact: true }).click();
    await bob.page.getByRole('button', { name: 'Decline' }).click();
    await expect.poll(text(alice.page, '#call-outcome'), UI_WAIT).toBe('Call failed: 603 Decline');
    await alice.page.getByRole('button', { name: 'Call', exact: true }).waitFor();
  });

  it('privacy page: shows the policy, downloads the export, deletes the account only with the right password', { timeout: TEST_MS }, async () => {
    const user = await userOnScreen();
    const { page } = user;
    await page.getByRole('link', { name: 'Privacy' }).click();
    await expect.poll(text(page, '#policy-version'), UI_WAIT).toMatch(/^Version /);
    expect((await page.locator('#policy-text').textContent())?.length).toBeGreaterThan(0);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download my data' }).click()]);
    const path = await download.path();
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(path, 'utf8')).toContain(user.email);

    await page.getByLabel('Your password, to confirm').fill(`${TEST_PASSWORD}x`);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await expect.poll(text(page, '#privacy-message'), UI_WAIT).toMatch(/^Not deleted: /);
    await page.getByLabel('Your password, to confirm').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await expect.poll(text(page, '#privacy-message'), UI_WAIT).toBe('Your account is deleted.');
    const account = await suite.database.db.selectFrom('accounts').select(['status', 'email']).where('id', '=', user.accountId).executeTakeFirstOrThrow();
    expect(account.email).toBeNull();
    await page.getByRole('link', { name: 'Phone' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('forgot password: the mailed link opens the app, which sets a new password that then signs in', { timeout: TEST_MS }, async () => {
    const user = await signIn(app.api, suite.database.db);
    const page = await openApp();
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    await expect.poll(text(page, '#auth-message'), UI_WAIT).toMatch(/we sent it a link/);

    const mail = await latestMail(suite.database.db, user.email, 'password_reset');
    await page.goto(new URL(linkPath(mail.body_text), app.url).href);
    const newPassword = 'a brand new passphrase for the app';
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(text(page, '#auth-message'), UI_WAIT).toBe('Password changed: sign in with the new one.');
    expect(new URL(page.url()).pathname).toBe('/');
    await signInOnScreen(page, user.email, newPassword);
  });

  it('renews its short-lived SIP credentials before they expire: a fresh binding replaces the old one and calls still ring', { timeout: TEST_MS }, async () => {
    // The shortest lifetime config allows (SIP_BROWSER_CREDENTIAL_TTL_SECONDS=60): the app renews halfway through.
    const shortLived = await serveSoftphoneApp(suite.database, { sip: { ...sipSettings(), browserCredentialTtlSeconds: 60 } });
    try {
      const carol = await userOnScreen(shortLived);
      const bindings = () => suite.database.db.selectFrom('registrations').select('username').where('account_id', '=', carol.accountId).execute();
      const [first, ...others] = await bindings();
      expect(others).toEqual([]);
      await expect
        .poll(async () => (await bindings()).map((binding) => binding.username === first!.username), { timeout: 50_000, interval: 500 })
        .toEqual([false]);
      expect(await carol.page.locator('#registration-status').textContent()).toBe('Registered');

      // Still reachable on the renewed registration.
      await ringsAndDeclines(carol);
    } finally {
      await shortLived.stop();
    }
  });

  it('reconnects when the signaling connection drops: registered again over a new connection, and calls ring', { timeout: TEST_MS }, async () => {
    const relay = await startTcpProxy({ host: '127.0.0.1', port: suite.stack.drachtio.wsPort });
    const viaRelay = await serveSoftphoneApp(suite.database, { sip: { ...sipSettings(), webSocketUrl: `ws://127.0.0.1:${relay.port}` } });
    try {
      const erin = await userOnScreen(viaRelay);
      const sourcePorts = async () =>
        (await suite.database.db.selectFrom('registrations').select('source_port').where('account_id', '=', erin.accountId).execute()).map(
          (binding) => binding.source_port,
        );
      const [before] = await sourcePorts();

      relay.dropConnections();
      // The tab registers its new connection with the same +sip.instance: the dead connection's binding is replaced at
      // once (not left to ring until it expires), so exactly one binding remains, the new one.
      await expect
        .poll(async () => (await sourcePorts()).map((port) => (port === before ? 'old connection' : 'new connection')), UI_WAIT)
        .toEqual(['new connection']);
      await expect.poll(text(erin.page, '#registration-status'), UI_WAIT).toBe('Registered');

      // Reachable on the new connection.
      await ringsAndDeclines(erin);
    } finally {
      await viaRelay.stop();
      await relay.stop();
    }
  });

  it(
    'keeps a call through a signaling drop: "Reconnecting…" on the call while the network is down, then the call again, the other side never cut',
    { timeout: TEST_MS },
    async () => {
      const relay = await startTcpProxy({ host: '127.0.0.1', port: suite.stack.drachtio.wsPort });
      const viaRelay = await serveSoftphoneApp(suite.database, { sip: { ...sipSettings(), webSocketUrl: `ws://127.0.0.1:${relay.port}` } });
      try {
        const gina = await userOnScreen(viaRelay);
        const hugo = await userOnScreen();
        await dialsAndRings(gina, hugo);
        await hugo.page.getByRole('button', { name: 'Answer' }).click();
        await expect.poll(text(gina.page, '#call-state'), UI_WAIT).toBe('Connected');

        // The network stays down until the tab has said so.
        relay.refuseConnections(true);
        relay.dropConnections();
        await expect.poll(text(gina.page, '#call-state'), UI_WAIT).toBe('Reconnecting…');
        await expect.poll(text(gina.page, '#registration-status'), UI_WAIT).toBe('Connection lost: reconnecting…');
        relay.refuseConnections(false);
        await expect.poll(text(gina.page, '#registration-status'), UI_WAIT).toBe('Registered');
        await expect.poll(text(gina.page, '#call-state'), UI_WAIT).toBe('Connected');
        expect(await text(hugo.page, '#call-state')()).toBe('Connected');

        // The call goes on over the new connection: hugo's hang-up reaches gina.
        await hugo.page.getByRole('button', { name: 'Hang up' }).click();
        await expect.poll(text(gina.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
      } finally {
        relay.refuseConnections(false);
        await viaRelay.stop();
        await relay.stop();
      }
    },
  );
});
