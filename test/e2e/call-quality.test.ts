// The call-quality indicator in the softphone app, in real Chromium on real drachtio-server and FreeSWITCH: during
// a call the panel shows the MOS estimate in words and figures read from getStats; at hang-up the browser posts its
// figures and the call's record holds them, beside FreeSWITCH's own MOS for a call through it (the echo test, and a
// sipp carrier echoing the audio). A tab-to-tab call (direct media, no FreeSWITCH) gets each party's report on that
// party's own record. A link that loses half its audio (getStats wrapped by an init script to count it) raises the
// warning in words.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { signIn, type SignedIn } from '../harness/api.ts';
import { credit } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeUdpPort } from '../harness/external.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { sippBinary } from '../harness/sipp.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const TEST_MS = 90_000;
const UI_WAIT = { timeout: 20_000, interval: 200 };
/** What the panel says once a second of audio is measured, e.g. "Quality: good (MOS 4.4)". */
const RATED = /^Quality: (good|fair|poor) \(MOS [1-4]\.\d\)$/;

describe.skipIf(missing)('call quality in the softphone app (real FreeSWITCH, Chromium)', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1212', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { did } = inboundFixtures(() => suite.database);
  const { carrier } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  let app: ServedSoftphoneApp;
  beforeAll(async () => {
    const sip = { ...suite.stack.config.sip!, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` };
    app = await serveSoftphoneApp(suite.database, { sip, echoTestNumber: suite.stack.config.calls.echoTest!.number });
  });
  afterAll(() => app?.stop());
  // After the suite's own hooks: the tabs close before the app they talk to stops; a page error fails the test.
  const tabs = useAppTabs();

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  /** `prepare`: see AppTabs.open (an init script, say). */
  async function signedInTab(user: SignedIn, prepare?: (context: BrowserContext) => Promise<void>): Promise<Page> {
    const page = await tabs.open(app.url, prepare);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
    return page;
  }

  /** The panel's figures by their labels, once it has rated the call. */
  async function panelShowsFigures(page: Page): Promise<Record<string, string>> {
    const panel = page.getByRole('region', { name: 'Call quality' });
    await expect.poll(() => panel.locator('.call-quality-rating').textContent(), UI_WAIT).toMatch(RATED);
    const names = await panel.locator('dt').allTextContents();
    const values = await panel.locator('dd').allTextContents();
    const figures = Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
    expect(figures).toEqual({
      'Delay (round trip)': expect.stringMatching(/^\d+ ms$/),
      Jitter: expect.stringMatching(/^\d+ ms$/),
      'Packet loss': expect.stringMatching(/^\d+\.\d%$/),
      'Sound level': expect.stringMatching(/^\d+% in, \d+% out$/),
    });
    return figures;
  }

  /** The record once the browser's report has landed on it. */
  async function reportedRecord(where: { accountId: string; sipCallId?: string }) {
    let row: Awaited<ReturnType<typeof read>> | undefined;
    const read = () =>
      suite.database.db
        .selectFrom('cdrs')
        .select([
          'id',
          'sip_call_id',
          'direction',
          'phase',
          'mos',
          'media_server',
          'browser_mos',
          'browser_rtt_ms',
          'browser_jitter_ms',
          'browser_loss_permille',
        ])
        .where('account_id', '=', where.accountId)
        .$call((query) => (where.sipCallId === undefined ? query : query.where('sip_call_id', '=', where.sipCallId)))
        .orderBy('started_at', 'desc')
        .executeTakeFirst();
    await expect.poll(async () => (row = await read())?.browser_mos ?? null, UI_WAIT).not.toBeNull();
    // The record is closed by signaling, and the media server's MOS written then, maybe after the browser's report.
    await expect.poll(async () => (row = await read())?.phase, UI_WAIT).toBe('ended');
    return row!;
  }

  it(
    "shows the echo test's quality while it runs; afterwards its record holds the browser's MOS and FreeSWITCH's, and the history shows it",
    { timeout: TEST_MS },
    async () => {
      const user = await signIn(app.api, suite.database.db);
      const page = await signedInTab(user);
      await page.getByRole('button', { name: 'Echo test' }).click();
      await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
      const figures = await panelShowsFigures(page);
      console.log(`[measure] echo test quality panel: ${await page.locator('.call-quality-rating').textContent()}; ${JSON.stringify(figures)}`);

      await page.getByRole('button', { name: 'Hang up' }).click();
      await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
      expect(await page.getByRole('region', { name: 'Call quality', includeHidden: true }).isHidden()).toBe(true);

      const cdr = await reportedRecord({ accountId: user.accountId });
      console.log(`[measure] echo test record: browser MOS ${cdr.browser_mos! / 100}, FreeSWITCH MOS ${cdr.mos}`);
      expect(cdr).toMatchObject({ direction: 'echo', media_server: expect.stringMatching(/^freeswitch /) });
      expect(cdr.browser_mos).toBeGreaterThanOrEqual(100);
      expect(cdr.browser_mos).toBeLessThanOrEqual(450);
      expect(cdr.browser_rtt_ms).toBeGreaterThanOrEqual(0);
      expect(cdr.browser_loss_permille).toBeGreaterThanOrEqual(0);
      expect(cdr.mos).toBeGreaterThanOrEqual(1);

      // The history's last column says it in words, as the record holds it.
      const quality = `${cdr.browser_mos! >= 400 ? 'good' : cdr.browser_mos! >= 350 ? 'fair' : 'poor'} (MOS ${(cdr.browser_mos! / 100).toFixed(1)})`;
      await expect.poll(() => page.locator('#history-rows tr').first().locator('td').last().textContent(), UI_WAIT).toBe(quality);
    },
  );

  it('warns in words when audio is being lost: the panel rates the call poor, and the record holds the loss', { timeout: TEST_MS }, async () => {
    const user = await signIn(app.api, suite.database.db);
    // A lossy link, as getStats would report it: for every packet that arrives, one more counted lost (half lost).
    const lossyLink = `{
      const getStats = RTCPeerConnection.prototype.getStats;
      RTCPeerConnection.prototype.getStats = async function (...args) {
        const report = await getStats.apply(this, args);
        return new Map([...report].map(([id, stat]) =>
          [id, stat.type === 'inbound-rtp' && stat.kind === 'audio' ? { ...stat, packetsLost: stat.packetsLost + stat.packetsReceived } : stat]));
      };
    }`;
    const page = await signedInTab(user, async (context) => void (await context.addInitScript(lossyLink)));
    await page.getByRole('button', { name: 'Echo test' }).click();
    await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
    const panel = page.getByRole('region', { name: 'Call quality' });
    // Three seconds of five over the thresholds (Twilio's rule) raise it; the warning is a status, read aloud.
    await expect.poll(() => panel.getByRole('status').textContent(), UI_WAIT).toBe('Warning: Audio is being lost; Poor audio quality');
    expect(await panel.locator('.call-quality-rating').textContent()).toMatch(/^Quality: poor \(MOS [1-3]\.\d\)$/);
    expect(await panel.getAttribute('data-quality')).toBe('poor');
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);

    const cdr = await reportedRecord({ accountId: user.accountId });
    expect(cdr.browser_mos).toBeLessThan(350);
    // Half the packets due, give or take the first reading's.
    expect(cdr.browser_loss_permille).toBeGreaterThanOrEqual(400);
  });

  it("shows a carrier call's quality; afterwards its record holds the browser's MOS beside FreeSWITCH's", { timeout: TEST_MS }, async () => {
    const user = await signIn(app.api, suite.database.db);
    await credit(suite.database.db, user.accountId, 10 * UNIT);
    // sipp answers and sends back every RTP packet it gets: browser -> FreeSWITCH -> carrier -> FreeSWITCH -> browser.
    const peer = await carrier('carrier-echo', 'uas-answer-expect-rtp-offer.xml', { extraArgs: ['-rtp_echo', '-mp', String(await freeUdpPort())] });
    const page = await signedInTab(user);
    await page.getByLabel('Number to call').fill('+12125550100');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
    await panelShowsFigures(page);
    await page.getByRole('button', { name: 'Hang up' }).click();
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);

    const cdr = await reportedRecord({ accountId: user.accountId });
    console.log(`[measure] browser->carrier record: browser MOS ${cdr.browser_mos! / 100}, FreeSWITCH MOS ${cdr.mos}`);
    expect(cdr).toMatchObject({ direction: 'outbound', media_server: expect.stringMatching(/^freeswitch /) });
    expect(cdr.browser_mos).toBeGreaterThanOrEqual(100);
    expect(cdr.browser_mos).toBeLessThanOrEqual(450);
    expect(cdr.mos).toBeGreaterThanOrEqual(1);
  });

  it('records a tab-to-tab call on both sides: each browser reports on its own record', { timeout: TEST_MS }, async () => {
    const [alice, bob] = [await signIn(app.api, suite.database.db), await signIn(app.api, suite.database.db)];
    const bobsNumber = '+14155550188';
    await did('+14155550187', alice.accountId);
    await did(bobsNumber, bob.accountId);
    await suite.stack.signaling.refreshCaches();
    const [alicePage, bobPage] = [await signedInTab(alice), await signedInTab(bob)];

    await alicePage.getByLabel('Number to call').fill(bobsNumber);
    await alicePage.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(bobPage, '#call-state'), UI_WAIT).toBe('Incoming call');
    await bobPage.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(text(alicePage, '#call-state'), UI_WAIT).toBe('Connected');
    await panelShowsFigures(alicePage);
    await panelShowsFigures(bobPage);

    await alicePage.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(bobPage, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);

    const callers = await reportedRecord({ accountId: alice.accountId });
    const callees = await reportedRecord({ accountId: bob.accountId, sipCallId: callers.sip_call_id });
    console.log(`[measure] tab-to-tab quality: caller MOS ${callers.browser_mos! / 100}, callee MOS ${callees.browser_mos! / 100}`);
    expect(callees.id).not.toBe(callers.id);
    for (const record of [callers, callees]) {
      // Direct media: no media server heard it, so only the browsers' figures.
      expect(record).toMatchObject({ direction: 'onnet', media_server: null, mos: null });
      expect(record.browser_mos).toBeGreaterThanOrEqual(100);
      expect(record.browser_mos).toBeLessThanOrEqual(450);
    }
  });
});
