// The operator console's first slice in real Chromium against the real API: calls seeded through the real call and
// billing functions, then an operator opens the console from the keyboard and reads the same figures the seeds make
// (answered and failed, ASR, ACD, spend, top-ups, a destination, a MOS bin); a normal user gets no link, never
// downloads the console's chunk, and is refused by the dashboard's routes. No SIP server is needed for this page.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCdr, recordCdrState } from '../../core/calls/cdr.ts';
import { signIn, TEST_PASSWORD, TEST_VAULT, type SignedIn } from '../harness/api.ts';
import { credit } from '../harness/billing.ts';
import { UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { gbAndFrRates, seedCall } from '../harness/seeded-calls.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_WAIT = { timeout: 15_000, interval: 100 };
const HOUR_MS = 3_600_000;
const DASHBOARD = ['traffic', 'refusals', 'spend', 'destinations', 'quality', 'live'];
const consoleChunk = (path: string) => /\/assets\/operator-console-[\w-]+\.js$/.test(path);

describe.skipIf(chromiumProvision.via === 'missing')('operator console: the dashboard in Chromium', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let app: ServedSoftphoneApp;
  /** The hour (UTC) every seeded call started in, three hours ago. */
  let hour: Date;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    database = await freshDatabase(preferredDialect());
    app = await serveSoftphoneApp(database);
    const user = await signIn(app.api, database.db);
    const { gb, fr } = await gbAndFrRates(database.db);
    await credit(database.db, user.accountId, 50 * UNIT);
    hour = new Date(Math.floor((Date.now() - 3 * HOUR_MS) / HOUR_MS) * HOUR_MS);
    const at = (minutes: number) => new Date(hour.getTime() + minutes * 60_000).toISOString();
    const seed = (call: Parameters<typeof seedCall>[2]) => seedCall(database, user.accountId, call);
    // GB: 90 s in whole minutes at 0.60 = 1.20; FR: 30 s by the second at 0.30 = 0.15.
    await seed({ to: '+442079460958', startedAt: at(1), talkSeconds: 90, rate: gb, mos: 4.3 });
    await seed({ to: '+33142685300', startedAt: at(5), talkSeconds: 30, rate: fr });
    await seed({ to: '+442079460959', startedAt: at(10) });
    await seed({ to: '+442079460960', startedAt: at(15), unanswered: { phase: 'refused', refusal: { reason: 'no-credit' } } });
    await seed({ to: '+33142685301', startedAt: at(20), unanswered: { phase: 'failed', status: 486, cause: 'busy' } });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.close();
  });
  const tabs = useAppTabs();

  async function signedInTab(email: string): Promise<{ page: Page; requested: string[] }> {
    const requested: string[] = [];
    const page = await tabs.open(app.url);
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#account-email').textContent(), UI_WAIT).toBe(email);
    return { page, requested };
  }

  const shown = (page: Page, key: string) => () => page.locator(`#operator-console [data-figure="${key}"] dd`).textContent();
  const bars = (page: Page, chart: string) => () =>
    page
      .locator(`#operator-console figure[data-chart="${chart}"] g.usage-bar`)
      .evaluateAll((groups) => groups.map((group) => [group.getAttribute('data-label'), group.getAttribute('data-value')]));

  it('shows an operator the seeded calls: counts, ASR, ACD, spend, destinations and quality, by hour and by day', async () => {
    const operator: SignedIn = await signIn(app.api, database.db, { role: 'operator' });
    const { page, requested } = await signedInTab(operator.email);
    expect(requested.filter(consoleChunk)).toEqual([]);

    // From the keyboard: the link, then the console's heading has the focus.
    await page.getByRole('link', { name: 'Operator' }).press('Enter');
    await expect.poll(() => page.evaluate('document.activeElement?.id'), UI_WAIT).toBe('operator-heading');
    await expect.poll(shown(page, 'answered'), UI_WAIT).toBe('2');
    expect(requested.filter(consoleChunk)).toHaveLength(1);
    expect(await shown(page, 'failed')()).toBe('2');
    expect(await shown(page, 'cancelled')()).toBe('1');
    // Two answered of five attempts; 120 s over two answered calls.
    expect(await shown(page, 'asr')()).toBe('40.0 %');
    expect(await shown(page, 'acd')()).toBe('1:00');
    expect(await shown(page, 'spend')()).toBe('1.35 USD');
    expect(await shown(page, 'top-ups')()).toBe('50.00 USD');
    expect(await shown(page, 'active-calls')()).toBe('0 up, 0 setting up');
    expect(await shown(page, 'registrations')()).toBe('0 devices, 0 accounts');

    const hourLabel = `${hour.toISOString().slice(0, 10)} ${hour.toISOString().slice(11, 13)}:00`;
    const answeredByHour = await bars(page, 'answered')();
    expect(answeredByHour.length).toBeGreaterThanOrEqual(24);
    expect(answeredByHour.filter(([, calls]) => calls !== '0')).toEqual([[hourLabel, '2']]);
    expect((await bars(page, 'failed')()).filter(([, calls]) => calls !== '0')).toEqual([[hourLabel, '2']]);
    expect(await bars(page, 'refusals')()).toEqual(
      expect.arrayContaining([
        ['Refused: no-credit', '1'],
        ['Failed: busy (486)', '1'],
      ]),
    );
    expect(await bars(page, 'destinations')()).toEqual([
      ['United Kingdom', '3 calls, 1.20 USD'],
      ['France', '2 calls, 0.15 USD'],
    ]);
    expect((await bars(page, 'mos-media')()).filter(([, calls]) => calls !== '0')).toEqual([['4.0–4.5', '1']]);
    // Each chart is an image named by its caption, its figures in a table.
    expect(await page.getByRole('img', { name: 'Busiest destinations' }).count()).toBe(1);
    expect(await page.locator('#operator-console figure[data-chart="destinations"] tbody tr').allTextContents()).toEqual([
      'United Kingdom3 calls, 1.20 USD',
      'France2 calls, 0.15 USD',
    ]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-console-24h.png`, fullPage: true });
    // On a laptop screen (1280 px) the page does not scroll sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);

    await page.getByLabel('Time range').selectOption({ label: 'Last 30 days, by day' });
    const day = hour.toISOString().slice(0, 10);
    await expect.poll(bars(page, 'answered'), UI_WAIT).toEqual(expect.arrayContaining([[day, '2']]));
    expect((await bars(page, 'answered')()).filter(([, calls]) => calls !== '0')).toEqual([[day, '2']]);
    expect(await shown(page, 'asr')()).toBe('40.0 %');
    await page.screenshot({ path: `${ARTIFACTS}/operator-console-30d.png`, fullPage: true });

    // A call answered now shows in the live figures without a refresh (they are read again every 10 s).
    const open = await openCdr(database.db, TEST_VAULT, {
      sipCallId: 'operator-console-live',
      direction: 'outbound',
      accountId: operator.accountId,
      fromNumber: '+14155550198',
      toNumber: '+442079460962',
      nodeId: 'test',
    });
    await recordCdrState(database.db, open, { phase: 'answered', target: '+442079460962', answeredAt: new Date() });
    await expect.poll(shown(page, 'active-calls'), UI_WAIT).toBe('1 up, 0 setting up');

    // A refusal shows the problem's own message: here the session is gone when the operator refreshes.
    await database.db.deleteFrom('sessions').where('account_id', '=', operator.accountId).execute();
    const problem = (await app.api.inject({ method: 'GET', url: '/admin/dashboard/live' })).json<{ title: string; detail?: string }>();
    await page.locator('#operator-console').getByRole('button', { name: 'Refresh' }).click();
    await expect
      .poll(() => page.locator('#operator-console [role="status"]').textContent(), UI_WAIT)
      .toBe(`Dashboard unavailable: ${problem.detail ?? problem.title}`);
    // Signed out, the page keeps none of the figures for whoever uses this browser next.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in or create an account' }).isVisible(), UI_WAIT).toBe(true);
    expect(await page.locator('#operator-console [data-figure], #operator-console figure').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Operator' }).count()).toBe(0);
  });

  it('gives a normal user no link, never sends them the console, and their session is refused by its routes', async () => {
    const user = await signIn(app.api, database.db);
    const { page, requested } = await signedInTab(user.email);
    expect(await page.getByRole('link', { name: 'Operator' }).count()).toBe(0);
    // Even at the console's address the page stays on the phone, and the chunk is not fetched.
    await page.evaluate("location.hash = '#operator'");
    await expect.poll(() => page.locator('#phone-view').isVisible(), UI_WAIT).toBe(true);
    expect(await page.locator('#operator-view').isVisible()).toBe(false);
    const statuses = await page.evaluate(
      (paths) => Promise.all(paths.map((path) => fetch(`/admin/dashboard/${path}`, { credentials: 'same-origin' }).then((response) => response.status))),
      DASHBOARD,
    );
    expect(statuses).toEqual(DASHBOARD.map(() => 403));
    expect(requested.filter(consoleChunk)).toEqual([]);
    // The same listener saw the page's own requests since sign-in (and the operator's chunk in the test above).
    expect(requested).toContain('/auth/login');
    await page.screenshot({ path: `${ARTIFACTS}/operator-console-user.png`, fullPage: true });
  });
});
