// Choosing the microphone and the speaker in the softphone app, in real Chromium with its fake devices
// (--use-fake-device-for-media-stream: microphones that play a tone, and speakers): the dial screen lists them,
// remembers the choice across a reload, meters the microphone, and calls, placed and answered, use each side's chosen
// microphone. A remembered device that is gone, and a microphone the browser refuses, are explained on screen.
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { recordPeerConnections, type PeerConnectionPage } from '../harness/peer-connections.ts';
import { serveSoftphoneApp, useAppTabs, type AppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing';
const TEST_MS = 90_000;
const UI_WAIT = { timeout: 15_000, interval: 100 };

interface Choice {
  readonly value: string;
  readonly label: string;
}

/** The options of a <select>, as the user sees them. */
const choices = (select: Locator): Promise<Choice[]> =>
  select
    .locator('option')
    .evaluateAll((options) => options.map((option) => ({ value: (option as unknown as { value: string }).value, label: option.textContent ?? '' })));

/** Waits for `select` to list the fake devices, picks the one at `index` and returns its deviceId. */
async function choose(select: Locator, index: number): Promise<string> {
  await expect.poll(async () => (await choices(select)).length, UI_WAIT).toBeGreaterThan(index);
  const chosen = (await choices(select))[index]!.value;
  await select.selectOption(chosen);
  return chosen;
}

/** The deviceIds of the tracks the page's calls send (read from every RTCPeerConnection the app made). */
const sentFrom = (page: Page) =>
  page.evaluate(() =>
    (globalThis as unknown as PeerConnectionPage).dialoPeerConnections.flatMap((connection) =>
      connection.getSenders().map((sender) => sender.track?.getSettings().deviceId),
    ),
  );

describe.skipIf(missing)('microphone and speaker in the softphone app (Chromium fake devices)', () => {
  const suite = useCallStack({});
  const { did } = inboundFixtures(() => suite.database);
  let app: ServedSoftphoneApp;
  let numbers = 0;

  beforeAll(async () => {
    app = await serveSoftphoneApp(suite.database, { sip: { ...suite.stack.config.sip!, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` } });
  });
  afterAll(() => app?.stop());
  const tabs = useAppTabs();

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  /** A verified user with a number, signed in on a tab of its own (its context `prepare`d) whose peer connections are recorded. */
  async function userOnScreen(prepare?: (context: BrowserContext) => Promise<void>, on: AppTabs = tabs) {
    const user = await signIn(app.api, suite.database.db);
    const number = `+1415555019${numbers++}`;
    await did(number, user.accountId);
    const page = await on.open(app.url, async (context) => {
      await context.addInitScript(recordPeerConnections);
      await prepare?.(context);
    });
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
    return { number, page, microphone: page.getByLabel('Microphone', { exact: true }), speaker: page.getByLabel('Speaker', { exact: true }) };
  }

  it('lists the fake microphones and speakers, keeps the choice across a reload, and meters the microphone', { timeout: TEST_MS }, async () => {
    const { page, microphone, speaker } = await userOnScreen();
    const chosenMicrophone = await choose(microphone, 2);
    const chosenSpeaker = await choose(speaker, 2);
    expect((await choices(microphone)).map((choice) => choice.label)).toEqual(expect.arrayContaining([expect.stringMatching(/^Fake .*Audio Input/)]));
    expect((await choices(speaker)).map((choice) => choice.label)).toEqual(expect.arrayContaining([expect.stringMatching(/^Fake .*Audio Output/)]));

    await page.reload();
    await expect.poll(() => microphone.inputValue(), UI_WAIT).toBe(chosenMicrophone);
    await expect.poll(() => speaker.inputValue(), UI_WAIT).toBe(chosenSpeaker);
    // The call audio element plays on the chosen speaker.
    await expect.poll(() => page.locator('#remote-audio').evaluate((audio) => (audio as unknown as { sinkId: string }).sinkId), UI_WAIT).toBe(chosenSpeaker);
    // The fake microphone's tone moves the meter.
    const level = () => page.getByLabel('Microphone level').evaluate((meter) => (meter as unknown as { value: number }).value);
    await expect.poll(level, UI_WAIT).toBeGreaterThan(0);
    expect(await page.locator('#device-message').textContent()).toBe('');
  });

  it('a call, placed and answered, sends each side’s chosen microphone; the dial screen lets it go meanwhile', { timeout: TEST_MS }, async () => {
    const [alice, bob] = [await userOnScreen(), await userOnScreen()];
    const aliceMicrophone = await choose(alice.microphone, 2);
    const bobMicrophone = await choose(bob.microphone, 1);
    expect(bobMicrophone).not.toBe(aliceMicrophone);

    await alice.page.getByLabel('Number to call').fill(bob.number);
    await alice.page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
    await bob.page.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Connected');
    await expect.poll(() => sentFrom(alice.page), UI_WAIT).toEqual([aliceMicrophone]);
    await expect.poll(() => sentFrom(bob.page), UI_WAIT).toEqual([bobMicrophone]);
    expect(await alice.microphone.isVisible()).toBe(false);

    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(alice.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
    await alice.microphone.waitFor();
    expect(await alice.microphone.inputValue()).toBe(aliceMicrophone);
  });

  it('a remembered microphone that is gone: the default is used, and the screen says so', { timeout: TEST_MS }, async () => {
    const { page, microphone } = await userOnScreen(async (context) => {
      await context.addInitScript({ content: `localStorage.setItem('dialo.microphone', 'an-unplugged-headset')` });
    });
    await expect.poll(text(page, '#device-message'), UI_WAIT).toBe('The microphone you chose is not connected: the default one is used until it is back.');
    expect(await microphone.isEnabled()).toBe(true);
  });

  describe('in a browser that refuses the microphone', () => {
    const refusing = useAppTabs({ mediaPrompt: 'refused' });

    it('the dial screen says how to allow it', { timeout: TEST_MS }, async () => {
      const { page, microphone } = await userOnScreen((context) => context.grantPermissions([]), refusing);
      await expect.poll(text(page, '#device-message'), UI_WAIT).toBe("Dialo cannot use your microphone: allow it in the browser's site settings, then reload.");
      expect(await microphone.isDisabled()).toBe(true);
    });
  });
});
