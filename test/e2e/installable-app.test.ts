// The softphone as an installable app, in real Chromium against the real API: Chromium finds it installable (manifest,
// icons, a service worker with a fetch handler) on a person's own profile; after the first visit its shell opens with
// the network gone; a Web Push delivered to its service worker (the DevTools protocol stands in for the push service
// here) raises "Incoming call" with Answer and Decline and nothing about the caller. On the call stack (real
// drachtio-server): a call to a tab nobody is looking at rings (Web Audio, read through the DevTools protocol) and
// raises a notification with the caller; the notification's Answer, routed by the service worker back to the tab,
// connects the call, and the ringing stops.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, signIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision, launchChromium, launchChromiumProfile } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { browserSubscription } from '../harness/push-service.ts';
import { serveSoftphoneApp, useAppOnCallStack, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const UI_WAIT = { timeout: 15_000, interval: 100 };
const TEST_MS = 90_000;

interface Shown {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
  readonly actions: readonly { action: string; title: string }[];
}

/** The notifications the page's service worker shows now. */
function notifications(page: Page): Promise<Shown[]> {
  return page.evaluate(`navigator.serviceWorker.ready
    .then((registration) => registration.getNotifications())
    .then((shown) => shown.map(({ title, body, tag, actions }) => ({ title, body, tag, actions: actions.map(({ action, title }) => ({ action, title })) })))`);
}

/** Once the service worker controls the page: its registration id, for the DevTools protocol's push delivery. */
async function workerRegistration(page: Page, cdp: CDPSession): Promise<string> {
  await page.evaluate(`navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller ??
    new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })))`);
  const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations));
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.filter((registration) => !registration.isDeleted).length, UI_WAIT).toBe(1);
  return registrations.find((registration) => !registration.isDeleted)!.registrationId;
}

const PUBLIC_KEY = browserSubscription('https://unused.example').p256dh;

const ACTIONS = [
  { action: 'answer', title: 'Answer' },
  { action: 'decline', title: 'Decline' },
];

describe.skipIf(chromiumProvision.via === 'missing')('the softphone installs as an app', { timeout: TEST_MS }, () => {
  let database: TestDatabase;
  let app: ServedSoftphoneApp;
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    app = await serveSoftphoneApp(database, { push: { publicKey: PUBLIC_KEY } });
    profile = await mkdtemp(join(tmpdir(), 'dialo-profile-'));
    browser = await launchChromiumProfile(profile);
    await browser.grantPermissions(['notifications'], { origin: new URL(app.url).origin });
  });
  afterAll(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
    await app?.stop();
    await database?.close();
  });

  it('is installable, and after the first visit its shell opens offline', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    const cdp = await browser.newCDPSession(page);
    await workerRegistration(page, cdp);
    expect((await cdp.send('Page.getAppManifest')).errors).toEqual([]);
    expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);

    await browser.setOffline(true);
    try {
      await page.reload();
      await expect.poll(() => page.getByRole('heading', { name: 'Sign in or create an account' }).isVisible(), UI_WAIT).toBe(true);
      // Only the shell is cached: the API is not, so nothing of anyone's data is kept in the browser.
      expect(
        await page.evaluate(
          async () =>
            (await fetch('/auth/config')
              .then((response) => response.status)
              .catch(() => 'unreachable')) as number | string,
        ),
      ).toBe('unreachable');
    } finally {
      await browser.setOffline(false);
    }
    await page.close();
  });

  it('shows a pushed call as "Incoming call" with Answer and Decline, and nothing about the caller', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    const cdp = await browser.newCDPSession(page);
    const registrationId = await workerRegistration(page, cdp);
    const origin = new URL(app.url).origin;
    // A message of another kind is not a call: no notification.
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify({ type: 'something-else', callId: 'x' }) });
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify({ type: 'incoming-call', callId: 'c0ffee' }) });
    await expect
      .poll(() => notifications(page), UI_WAIT)
      .toEqual([{ title: 'Incoming call', body: 'Open Dialo to answer', tag: 'call-c0ffee', actions: ACTIONS }]);
    await page.close();
  });

  it('asks before a browser rings when Dialo is closed, lists the browsers that do, and stops one on request', async () => {
    const user = await signIn(app.api, database.db);
    // A fresh context, where Chromium refuses push at once (a profile's subscribe waits for a push service it cannot reach).
    const other = await launchChromium();
    try {
      const context = await other.newContext();
      await context.grantPermissions(['notifications'], { origin: new URL(app.url).origin });
      const page = await context.newPage();
      await page.goto(app.url);
      await page.getByLabel('E-mail').fill(user.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Privacy' }).click();
      const devices = page.getByRole('list', { name: 'Browsers that ring when Dialo is closed' });
      await expect.poll(() => devices.textContent(), UI_WAIT).toBe('None: calls ring only while a Dialo tab is open.');
      // Headless Chromium reaches no push service: the reason is given in words, and nothing is stored.
      await page.getByRole('button', { name: 'Ring this browser when Dialo is closed' }).click();
      await expect.poll(() => page.locator('#push-message').textContent(), UI_WAIT).toMatch(/^This browser could not be set to ring: \S/);
      expect(await database.db.selectFrom('push_subscriptions').select('id').where('account_id', '=', user.accountId).execute()).toEqual([]);

      // A browser that did subscribe (its push service reached): listed by name, and stopped from here.
      const endpoint = 'https://push.example.org/wpush/installable-app';
      const { p256dh, auth } = browserSubscription(endpoint);
      const saved = await app.api.inject({
        method: 'POST',
        url: '/push/subscriptions',
        headers: user.headers,
        payload: { endpoint, keys: { p256dh, auth }, label: 'Firefox on Linux' },
      });
      expect(saved.statusCode).toBe(201);
      await page.reload();
      await expect.poll(() => devices.textContent(), UI_WAIT).toMatch(/^Firefox on Linux, since /);
      await page.getByRole('button', { name: 'Stop ringing Firefox on Linux' }).click();
      await expect.poll(() => devices.textContent(), UI_WAIT).toBe('None: calls ring only while a Dialo tab is open.');
      expect(await database.db.selectFrom('push_subscriptions').select('id').where('account_id', '=', user.accountId).execute()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe.skipIf(drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing')(
  'a call to a tab nobody is looking at',
  { timeout: TEST_MS },
  () => {
    const suite = useCallStack({});
    const { did } = inboundFixtures(() => suite.database);
    const app = useAppOnCallStack(suite);
    const tabs = useAppTabs();
    let numbers = 0;
    const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

    async function userOnScreen() {
      const user = await signIn(app().api, suite.database.db);
      const number = `+1415555018${numbers++}`;
      await did(number, user.accountId);
      const page = await tabs.open(app().url, (context) => context.grantPermissions(['notifications'], { origin: new URL(app().url).origin }));
      await page.getByLabel('E-mail').fill(user.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
      return { ...user, number, page };
    }

    it('rings and notifies with the caller; Answer on the notification connects the call and the ringing stops', async () => {
      const [alice, bob] = [await userOnScreen(), await userOnScreen()];
      const cdp = await bob.page.context().newCDPSession(bob.page);
      await workerRegistration(bob.page, cdp);
      // Bob has gone to another tab of his browser: Dialo's tab is behind it, without the focus.
      await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
      const otherTab = await bob.page.context().newPage();
      await otherTab.bringToFront();
      expect(await bob.page.evaluate('document.hasFocus()')).toBe(false);
      const audio = new Map<string, string>();
      cdp.on('WebAudio.contextCreated', ({ context }) => audio.set(context.contextId, context.contextState));
      cdp.on('WebAudio.contextChanged', ({ context }) => audio.set(context.contextId, context.contextState));
      cdp.on('WebAudio.contextWillBeDestroyed', ({ contextId }) => audio.set(contextId, 'destroyed'));
      await cdp.send('WebAudio.enable');

      await alice.page.getByLabel('Number to call').fill(bob.number);
      await alice.page.getByRole('button', { name: 'Call', exact: true }).click();
      await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
      const [shown] = await (async () => {
        await expect.poll(async () => (await notifications(bob.page)).length, UI_WAIT).toBe(1);
        return notifications(bob.page);
      })();
      expect(shown).toMatchObject({ title: 'Incoming call', body: `From ${alice.number}`, actions: ACTIONS });

      // The ringtone: a Web Audio context that runs, its clock moving on.
      await expect.poll(() => [...audio.values()].includes('running'), UI_WAIT).toBe(true);
      const ringtone = [...audio.entries()].find(([, state]) => state === 'running')![0];
      const clock = async () => (await cdp.send('WebAudio.getRealtimeData', { contextId: ringtone })).realtimeData.currentTime;
      const first = await clock();
      await expect.poll(clock, UI_WAIT).toBeGreaterThan(first);

      // The notification's Answer, as the browser would deliver its click to the service worker. (The DevTools protocol
      // cannot click a system notification; the event is the worker's real handler, dispatched in its own scope.)
      const [worker] = bob.page.context().serviceWorkers();
      await worker!.evaluate(`self.registration.getNotifications({ tag: ${JSON.stringify(shown!.tag)} }).then(([notification]) =>
      self.dispatchEvent(new NotificationEvent('notificationclick', { notification, action: 'answer' })))`);
      await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Connected');
      await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Connected');
      await expect.poll(() => notifications(bob.page), UI_WAIT).toEqual([]);
      await expect.poll(() => audio.get(ringtone), UI_WAIT).toMatch(/^(closed|destroyed)$/);
      await alice.page.getByRole('button', { name: 'Hang up' }).click();
      await expect.poll(text(bob.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
    });
  },
);
