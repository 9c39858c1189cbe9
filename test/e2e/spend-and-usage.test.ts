// Spend and usage in the softphone app, from real calls in real Chromium through real drachtio-server and FreeSWITCH
// (sipp as the carrier): two paid calls to carriers' numbers in two countries and one refused, then the history's
// filters narrow the list, the CSV download holds the calls as the database does, and the usage panel (its charts'
// code loaded only on opening) draws minutes and spend per day and per country from that history.
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { signIn, type SignedIn } from '../harness/api.ts';
import { credit } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, OPEN_ABUSE_LIMITS, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { sippBinary } from '../harness/sipp.ts';
import { useAppOnCallStack, useAppTabs } from '../harness/softphone-app.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const TEST_MS = 150_000;
const UI_WAIT = { timeout: 20_000, interval: 200 };
const NEW_YORK = '+12125550100';
const LONDON = '+442079460958';
/** No rate covers France here: the call is refused (403) and recorded as failed. */
const PARIS = '+33142685300';

describe.skipIf(missing)('spend and usage in the softphone app (real calls, Chromium)', () => {
  const media = useFreeSwitch();
  // Billed per started minute: each short call costs exactly one minute's price.
  const suite = useCallStack(
    () => ({ ...media.env(), ...OPEN_ABUSE_LIMITS }),
    async (db) => {
      await createRate(
        db,
        toRateInput({ prefix: '1212', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }),
      );
      await createRate(
        db,
        toRateInput({ prefix: '4420', pricePerMinute: '1.20', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }),
      );
    },
  );
  const { carrier } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const app = useAppOnCallStack(suite);
  const tabs = useAppTabs();

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();
  const listedNumbers = (page: Page) => () => page.locator('#history-rows tr td:nth-child(4)').allTextContents();

  async function signedInTab(user: SignedIn): Promise<{ page: Page; requested: string[] }> {
    const requested: string[] = [];
    const page = await tabs.open(app().url);
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
    return { page, requested };
  }

  /** A call answered and hung up, once the call's timer reads `talk` (m:ss) if given. */
  async function call(page: Page, number: string, talk?: string): Promise<void> {
    await page.getByLabel('Number to call').fill(number);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
    if (talk !== undefined) await expect.poll(text(page, '#call-timer'), UI_WAIT).toBe(talk);
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
  }

  /** Applies the history's filters: these `fields` set, the others cleared (days as `YYYY-MM-DD`, UTC). */
  async function filter(
    page: Page,
    fields: { from?: string; to?: string; direction?: string; country?: string; outcome?: string; number?: string },
  ): Promise<void> {
    const form = page.getByRole('form', { name: 'Filter calls' });
    await form.getByLabel('From', { exact: true }).fill(fields.from ?? '');
    await form.getByLabel('To', { exact: true }).fill(fields.to ?? '');
    await form.getByLabel('Direction').selectOption(fields.direction ?? '');
    await form.getByLabel('Country (2 letters)').fill(fields.country ?? '');
    await form.getByLabel('Number (whole)').fill(fields.number ?? '');
    await form.getByLabel('Outcome').selectOption(fields.outcome ?? '');
    await form.getByRole('button', { name: 'Apply filters' }).click();
  }

  /** A chart's bars as drawn: each one's label and figure. */
  const bars = (page: Page, chart: string) => () =>
    page
      .locator(`figure[data-chart="${chart}"] g.usage-bar`)
      .evaluateAll((groups) => groups.map((group) => [group.getAttribute('data-label'), group.getAttribute('data-value')]));

  it('filters the history, downloads it as CSV and charts it, all from the calls just made', { timeout: TEST_MS }, async () => {
    const user = await signIn(app().api, suite.database.db);
    await credit(suite.database.db, user.accountId, 20 * UNIT);
    const peer = await carrier('usage-carrier', 'uas-answer-expect-rtp-offer.xml', { calls: 2, extraArgs: ['-rtp_echo'] });
    const { page, requested } = await signedInTab(user);

    await call(page, NEW_YORK);
    // Long enough to show as a tenth of a minute.
    await call(page, LONDON, '0:07');
    await page.getByLabel('Number to call').fill(PARIS);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call failed: 403 /);
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([PARIS, LONDON, NEW_YORK]);

    // What the database holds of them: the figures every view below must show.
    const records = await suite.database.db
      .selectFrom('cdrs')
      .select(['id', 'started_at', 'answered_at', 'ended_at', 'cost', 'destination_country'])
      .where('account_id', '=', user.accountId)
      .orderBy('started_at', 'desc')
      .execute();
    expect(records.map((row) => [row.destination_country, row.cost])).toEqual([
      ['FR', null],
      ['GB', 1_200_000],
      ['US', 600_000],
    ]);
    const talk = (row: (typeof records)[number]) =>
      row.answered_at === null || row.ended_at === null ? 0 : Math.ceil((row.ended_at.getTime() - row.answered_at.getTime()) / 1000);
    const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
    const [paris, london, newYork] = records as [(typeof records)[number], (typeof records)[number], (typeof records)[number]];
    expect(talk(london)).toBeGreaterThanOrEqual(7);

    // The filters narrow the list, and the CSV link follows them.
    await filter(page, { country: 'gb' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([LONDON]);
    await filter(page, { outcome: 'failed' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([PARIS]);
    await filter(page, { outcome: 'answered' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([LONDON, NEW_YORK]);
    await filter(page, { number: '+44 20 7946 0958' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([LONDON]);
    // All three calls are outgoing: none came in.
    await filter(page, { direction: 'out' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([PARIS, LONDON, NEW_YORK]);
    await filter(page, { direction: 'in' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([]);
    await filter(page, { direction: 'in', number: NEW_YORK });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([]);
    await filter(page, { direction: 'out', number: NEW_YORK });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([NEW_YORK]);
    // Days (UTC) from the records' own start times: both ends included, the days either side hold none of them.
    const day = (date: Date, offset = 0) => new Date(date.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    await filter(page, { from: day(newYork.started_at), to: day(paris.started_at) });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([PARIS, LONDON, NEW_YORK]);
    await filter(page, { to: day(newYork.started_at, -1) });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([]);
    await filter(page, { from: day(paris.started_at, 1) });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([]);
    await filter(page, { from: day(london.started_at), to: day(london.started_at), country: 'GB' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([LONDON]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([PARIS, LONDON, NEW_YORK]);

    const download = async () => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
      return parse(await readFile(await file.path(), 'utf8'), { columns: true }) as Record<string, string>[];
    };
    const all = await download();
    expect(all.map((row) => [row.id, row.to, row.country, row.cost, row.talk_seconds])).toEqual([
      [paris.id, PARIS, 'FR', '', ''],
      [london.id, LONDON, 'GB', '1.20', String(talk(london))],
      [newYork.id, NEW_YORK, 'US', '0.60', String(talk(newYork))],
    ]);
    expect(all[1]).toMatchObject({ started_at: london.started_at.toISOString(), currency: 'usd', outcome: 'ended' });
    await filter(page, { country: 'US' });
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([NEW_YORK]);
    expect((await download()).map((row) => row.id)).toEqual([newYork.id]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(listedNumbers(page), UI_WAIT).toEqual([PARIS, LONDON, NEW_YORK]);

    // The charts' code is fetched only once the panel opens.
    const chartsChunk = (path: string) => /\/assets\/usage-charts-[\w-]+\.js$/.test(path);
    expect(requested.filter(chartsChunk)).toEqual([]);
    await page.getByText('Spend and usage').click();
    await expect.poll(bars(page, 'spend-by-country'), UI_WAIT).toEqual([
      ['United Kingdom', '1.20 USD'],
      ['United States', '0.60 USD'],
      ['France', '0.00 USD'],
    ]);
    expect(requested.filter(chartsChunk)).toHaveLength(1);
    expect(await bars(page, 'minutes-by-country')()).toEqual([
      ['United Kingdom', minutes(talk(london))],
      ['United States', minutes(talk(newYork))],
      ['France', minutes(0)],
    ]);
    // Per day (UTC), from the records' own start times (the calls may straddle midnight).
    const days = new Map<string, { seconds: number; spend: number }>();
    for (const row of [...records].reverse()) {
      const day = row.started_at.toISOString().slice(0, 10);
      const sum = days.get(day) ?? { seconds: 0, spend: 0 };
      days.set(day, { seconds: sum.seconds + talk(row), spend: sum.spend + (row.cost ?? 0) });
    }
    const money = (micros: number) => `${(micros / UNIT).toFixed(2)} USD`;
    expect(await bars(page, 'minutes-by-day')()).toEqual([...days].map(([day, sum]) => [day, minutes(sum.seconds)]));
    expect(await bars(page, 'spend-by-day')()).toEqual([...days].map(([day, sum]) => [day, money(sum.spend)]));
    // Each chart is an image named by its caption, with its figures as a table beside it.
    await expect.poll(() => page.getByRole('img', { name: 'Spend per country' }).count()).toBe(1);
    expect(await page.locator('figure[data-chart="spend-by-country"] table tbody tr').allTextContents()).toEqual([
      'United Kingdom1.20 USD',
      'United States0.60 USD',
      'France0.00 USD',
    ]);

    // The charts follow the filters.
    await filter(page, { country: 'GB' });
    await expect.poll(bars(page, 'spend-by-country'), UI_WAIT).toEqual([['United Kingdom', '1.20 USD']]);
  });
});
