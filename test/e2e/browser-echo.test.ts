// The echo test from the softphone in real Chromium, through real FreeSWITCH (infra/freeswitch) and real
// drachtio-server: the tab dials *43 with no credit, FreeSWITCH answers its WebRTC offer (DTLS-SRTP, Opus) and sends
// the tab's fake microphone back, which the tab decodes as sound. No carrier, no rate, no charge.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf } from '../../core/billing/ledger.ts';
import { signIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf } from '../harness/calls.ts';
import { chromiumProvision, launchChromium } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { serveSoftphoneApp, type ServedSoftphoneApp } from '../harness/softphone-app.ts';
import { heardSpeech, useSoftphoneUsers } from '../harness/softphone-users.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing');

describe.skipIf(missing)('the echo test from a tab in Chromium (real FreeSWITCH)', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env);
  const { finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const users = useSoftphoneUsers(suite);

  it('a tab with no credit dials *43 and hears its own microphone back; the call is recorded free, with its MOS', { timeout: 60_000 }, async () => {
    const user = await users.userWithNumber();
    const tab = await user.openTab();
    try {
      const callId = await tab.run('dial', '*43');
      const connected = await tab.run('untilState', callId, 'connected');
      const heard = await heardSpeech(tab, callId);
      console.log(
        `[measure] browser echo test: INVITE->connected ${connected.connectedAfterMs} ms; echoed audio ${heard.packetsReceived} packets, energy ${heard.totalAudioEnergy.toFixed(3)}; ${heard.mediaPath}`,
      );
      await tab.run('hangup', callId);
      await tab.run('untilState', callId, 'ended');
    } finally {
      await tab.close();
    }
    const cdr = await finishedCdr(user.accountId);
    expect(cdr).toMatchObject({
      direction: 'echo',
      to_number: '*43',
      phase: 'ended',
      ended_by: 'caller',
      sip_status: 200,
      cost: 0,
      billable_seconds: 0,
      media_server: 'freeswitch 127.0.0.1',
    });
    console.log(`[measure] browser echo test MOS ${cdr.mos}`);
    expect(cdr.mos).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(suite.database.db, user.accountId)).toMatchObject({ balance: 0, available: 0 });
  });
});

describe.skipIf(missing)('the echo test in the softphone app, on screen (real FreeSWITCH)', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env);
  const UI_WAIT = { timeout: 15_000, interval: 100 };
  let app: ServedSoftphoneApp;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const sip = { ...suite.stack.config.sip!, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` };
    app = await serveSoftphoneApp(suite.database, { sip, echoTestNumber: suite.stack.config.calls.echoTest!.number });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  it(
    'a new user with no credit presses "Echo test": the call view says Echo test, free, plays audio; the history says Echo test',
    { timeout: 60_000 },
    async () => {
      const user = await signIn(app.api, suite.database.db);
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/.test(message.text())) pageErrors.push(message.text());
      });
      await page.goto(app.url);
      await page.getByLabel('E-mail').fill(user.email);
      await page.getByLabel('Password', { exact: true }).fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');

      await page.getByRole('button', { name: 'Echo test' }).click();
      await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
      expect(await page.locator('#call-party').textContent()).toBe('Echo test');
      await expect.poll(text(page, '#call-cost'), UI_WAIT).toBe('Free (echo test)');
      const playing = () =>
        page
          .locator('#remote-audio')
          .evaluate(
            (audio) =>
              (audio as unknown as { srcObject: { getAudioTracks(): { readyState: string }[] } | null }).srcObject
                ?.getAudioTracks()
                .map((track) => track.readyState) ?? [],
          );
      await expect.poll(playing, UI_WAIT).toEqual(['live']);
      await page.getByRole('button', { name: 'Hang up' }).click();
      await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended \(\d+:\d\d\)$/);

      const historyRow = () => page.locator('#history-rows tr').first().locator('td').allTextContents();
      await expect.poll(historyRow, UI_WAIT).toEqual([
        expect.any(String),
        'Echo test',
        '',
        'Echo test',
        'ended (normal)',
        '0:00',
        expect.stringMatching(/^0(\.0+)? USD$/),
        // The quality this browser reported (test/e2e/call-quality.test.ts); none if the call was too short to measure.
        expect.stringMatching(/^((good|fair|poor) \(MOS \d\.\d\))?$/),
      ]);
      expect(pageErrors).toEqual([]);
    },
  );
});
