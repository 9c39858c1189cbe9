// A call to a user with no Dialo tab open, end to end in real Chromium on real drachtio-server, FreeSWITCH and sipp:
// the user once signed in on their own browser profile (the service worker installed), then closed the tab. A sipp
// carrier calls their number; signaling pushes to the push-service stand-in (which decrypts the push: no number in
// it) and holds the carrier ringing; the push is delivered to the browser's service worker through the DevTools
// protocol (Chromium's own push service is unreachable here), which shows "Incoming call" with Answer and Decline.
// Answer opens the app on the call — the one step the protocol cannot drive is the click on a system notification,
// so the test opens what the worker opens for it, `/#answer=<callId>` — and the app, still signed in, registers,
// answers that call when it arrives, and audio flows both ways (sipp echoes the tab's microphone back).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEST_PASSWORD, signIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision, launchChromiumProfile } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeUdpPort } from '../harness/external.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { usePushCalls } from '../harness/push-calls.ts';
import { derivedScenario, runSipp, sippBinary } from '../harness/sipp.ts';
import { useAppOnCallStack } from '../harness/softphone-app.ts';

const missing = drachtioProvision.via === 'missing' || freeswitchProvision.via === 'missing' || chromiumProvision.via === 'missing' || sippBinary === undefined;
/** The carrier's address, on the inbound trunk's list. */
const CARRIER = '127.0.0.2';
const NUMBER = '+14155550177';
const UI_WAIT = { timeout: 20_000, interval: 100 };

describe.skipIf(missing)('a call to a closed app: Web Push wakes the installed app, which answers', { timeout: 120_000 }, () => {
  const media = useFreeSwitch();
  const push = usePushCalls(60);
  const suite = useCallStack(() => ({ ...media.env(), ...push.env() }), undefined, push.options);
  const app = useAppOnCallStack(suite);
  const { did, inboundTrunk } = inboundFixtures(() => suite.database);
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'dialo-profile-'));
    browser = await launchChromiumProfile(profile);
  });
  afterAll(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
  });

  /** The service worker's registration id, once it controls `page`. */
  async function workerRegistration(page: Page, cdp: CDPSession): Promise<string> {
    await page.evaluate(`navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller ??
      new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })))`);
    const registrations: { registrationId: string; isDeleted: boolean }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations));
    await cdp.send('ServiceWorker.enable');
    await expect.poll(() => registrations.filter((registration) => !registration.isDeleted).length, UI_WAIT).toBe(1);
    return registrations.find((registration) => !registration.isDeleted)!.registrationId;
  }

  it('sipp rings while the push wakes the app; Answer opens it on the call, which connects with audio both ways', async () => {
    const origin = new URL(app().url).origin;
    // As a person who allowed notifications and the microphone. (Without a microphone grant Chromium hides its host
    // addresses behind mDNS names, `….local`, which FreeSWITCH cannot resolve: the answer through it then fails.)
    await browser.grantPermissions(['notifications', 'microphone'], { origin });
    await inboundTrunk('carrier-in', [`${CARRIER}/32`]);
    await suite.stack.signaling.refreshCaches();
    const owner = await signIn(app().api, suite.database.db);
    await did(NUMBER, owner.accountId);
    const path = await push.subscribe(suite.database.db, owner.accountId);
    const registered = () => suite.database.db.selectFrom('registrations').select('username').where('account_id', '=', owner.accountId).execute();

    // Once: signed in on this profile, the worker installed; then the tab is closed, and its binding goes with it.
    const first = await browser.newPage();
    await first.goto(app().url);
    await first.getByLabel('E-mail').fill(owner.email);
    await first.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await first.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => first.locator('#registration-status').textContent(), UI_WAIT).toBe('Registered');
    const firstCdp = await browser.newCDPSession(first);
    const registrationId = await workerRegistration(first, firstCdp);
    // The tab's pagehide unregisters it (REGISTER Expires: 0); fired before the close, so the test can wait for it:
    // a closing page does not always get its last WebSocket frame out (see the closing note on stale bindings).
    await first.evaluate(`window.dispatchEvent(new PageTransitionEvent('pagehide'))`);
    await expect.poll(async () => (await registered()).length, UI_WAIT).toBe(0);
    await first.close();

    // The carrier calls; it must hear ringing before the answer (the scenario's optional 180 made required), and
    // echoes the audio it gets.
    const scenario = await derivedScenario('uac-carrier-call-expect-200.xml', (xml) =>
      xml.replace('<recv response="180" optional="true"/>', '<recv response="180"/>'),
    );
    const call = runSipp({
      scenario,
      target: suite.stack.target,
      localAddress: CARRIER,
      fields: [`${NUMBER};12000`],
      extraArgs: ['-rtp_echo', '-mp', String(await freeUdpPort())],
    });
    await vi.waitFor(() => expect(push.pushesTo(path)).toHaveLength(1), { timeout: 15_000 });
    const plaintext = push.pushesTo(path)[0]!.plaintext;
    for (const number of ['14155550123', NUMBER.slice(1)]) expect(plaintext).not.toContain(number);
    const { callId } = JSON.parse(plaintext) as { callId: string };

    // Delivered to the worker with no Dialo tab open: the notification, with its actions and nothing about the caller.
    const blank = await browser.newPage();
    const cdp = await browser.newCDPSession(blank);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: plaintext });
    const [worker] = browser.serviceWorkers();
    const shown = () =>
      worker!.evaluate(`self.registration.getNotifications().then((all) => all.map(({ title, body, tag, actions }) =>
        ({ title, body, tag, actions: actions.map(({ action }) => action) })))`);
    await expect
      .poll(shown, UI_WAIT)
      .toEqual([{ title: 'Incoming call', body: 'Open Dialo to answer', tag: `call-${callId}`, actions: ['answer', 'decline'] }]);

    // Answer: the app opens on the call, as the worker opens it.
    await blank.goto(new URL(`/#answer=${callId}`, app().url).href);
    await expect.poll(() => blank.locator('#call-state').textContent(), UI_WAIT).toBe('Connected');
    expect(new URL(blank.url()).hash).toBe('');
    // Audio both ways: the tab's microphone comes back from sipp's echo, measured by the call-quality panel.
    await expect
      .poll(
        () =>
          blank
            .locator('.call-quality dd')
            .allTextContents()
            .then((values) => values.find((value) => /% in, /.test(value)) ?? ''),
        UI_WAIT,
      )
      .toMatch(/^[1-9]\d*% in, [1-9]\d*% out$/);
    await expect.poll(shown, UI_WAIT).toEqual([]);

    const run = await call;
    expect(run.code, run.log).toBe(0);
    const cdr = await suite.database.db.selectFrom('cdrs').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
    expect(cdr).toMatchObject({ direction: 'inbound', account_id: owner.accountId, sip_status: 200, media_server: expect.stringMatching(/^freeswitch /) });
    expect(cdr.answered_at).not.toBeNull();
  });
});
