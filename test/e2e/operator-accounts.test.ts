// The operator console's accounts and CDR export sections and the dashboard's custom dates, in real Chromium against
// the real API: an operator finds a user by address, adjusts their credit (the ledger, the audit trail and the user's
// own tab follow), suspends and lifts their outbound calling, sets a call limit, places and lifts a legal hold and
// downloads their data; exports call records with filters (an outcome among them) and reads the downloaded files against the seeded calls;
// picks custom days on the dashboard that take in the seeded calls or leave them out. Refusals show their messages.
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf } from '../../core/billing/ledger.ts';
import { signIn, TEST_PASSWORD, type SignedIn } from '../harness/api.ts';
import { credit } from '../harness/billing.ts';
import { UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { gbAndFrRates, seedCall } from '../harness/seeded-calls.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_WAIT = { timeout: 15_000, interval: 100 };
const DAY_MS = 86_400_000;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

describe.skipIf(chromiumProvision.via === 'missing')('operator console: accounts, CDR export and custom dates in Chromium', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let app: ServedSoftphoneApp;
  let user: SignedIn;
  let other: SignedIn;
  let operator: SignedIn;
  /** 10:00 UTC three days ago: the seeded day's calls start then and an hour later. */
  let day: Date;
  /** Record ids: the user's and the other account's on the seeded day, and the user's a week before it. */
  const seeded = { user: [] as string[], other: [] as string[], earlier: [] as string[] };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    database = await freshDatabase(preferredDialect());
    app = await serveSoftphoneApp(database);
    user = await signIn(app.api, database.db);
    other = await signIn(app.api, database.db);
    operator = await signIn(app.api, database.db, { role: 'operator' });
    const { gb, fr } = await gbAndFrRates(database.db);
    await credit(database.db, user.accountId, 10 * UNIT);
    await credit(database.db, other.accountId, 10 * UNIT);
    day = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS + 10 * 3_600_000);
    const at = (minutes: number, from = day) => new Date(from.getTime() + minutes * 60_000).toISOString();
    // The user: 90 s to GB in whole minutes at 0.60 = 1.20, 30 s to FR by the second at 0.30 = 0.15, one cancelled (no cost).
    seeded.user.push(await seedCall(database, user.accountId, { to: '+442079460958', startedAt: at(1), talkSeconds: 90, rate: gb }));
    seeded.user.push(await seedCall(database, user.accountId, { to: '+33142685300', startedAt: at(5), talkSeconds: 30, rate: fr }));
    seeded.user.push(await seedCall(database, user.accountId, { to: '+442079460959', startedAt: at(10) }));
    seeded.other.push(await seedCall(database, other.accountId, { to: '+442079460960', startedAt: at(60), talkSeconds: 60, rate: gb }));
    seeded.earlier.push(
      await seedCall(database, user.accountId, { to: '+442079460961', startedAt: at(0, new Date(day.getTime() - 7 * DAY_MS)), talkSeconds: 60 }),
    );
  });
  afterAll(async () => {
    await app?.stop();
    await database?.close();
  });
  const tabs = useAppTabs();

  async function signedInTab(email: string): Promise<Page> {
    const page = await tabs.open(app.url);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#account-email').textContent(), UI_WAIT).toBe(email);
    return page;
  }

  /** The operator's tab on one section of the console. */
  async function consoleSection(section: string): Promise<Page> {
    const page = await signedInTab(operator.email);
    await page.getByRole('link', { name: 'Operator' }).click();
    await page.getByRole('navigation', { name: 'Operator console' }).getByRole('button', { name: section }).click();
    return page;
  }

  const statusOf = (page: Page, form: string) => () => page.getByRole('form', { name: form }).getByRole('status').textContent();
  const shown = (page: Page, key: string) => () => page.locator(`#operator-console [data-figure="${key}"]:visible dd`).textContent();
  const audited = (action: string) =>
    database.db.selectFrom('audit_events').select(['actor_account_id', 'subject_account_id', 'detail']).where('action', '=', action).orderBy('id').execute();
  /** What the API answers the same request: the message the page must show. */
  async function problemFor(method: 'GET' | 'POST', url: string, payload?: object): Promise<string> {
    const response = await app.api.inject({ method, url, headers: operator.headers, ...(payload === undefined ? {} : { payload }) });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    const problem = response.json<{ title: string; detail?: string }>();
    return problem.detail ?? problem.title;
  }
  async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
    const [download] = (await Promise.all([page.waitForEvent('download'), click()])) as [Download, void];
    return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
  }

  it('finds a user by address and adjusts their credit with a reason: ledger, audit and their own tab follow', async () => {
    const before = await balanceOf(database.db, user.accountId);
    expect(before.balance).toBe(8_650_000);
    const mine = await signedInTab(user.email);
    await expect.poll(() => mine.locator('#balance').textContent(), UI_WAIT).toBe('8.65 USD');

    const page = await consoleSection('Accounts');
    await page.getByLabel('Account e-mail').fill('nobody@example.org');
    await page.getByRole('button', { name: 'Find account' }).click();
    await expect.poll(statusOf(page, 'Find an account'), UI_WAIT).toBe('No account has the address nobody@example.org.');
    // Any case finds the address.
    await page.getByLabel('Account e-mail').fill(user.email.toUpperCase());
    await page.getByRole('button', { name: 'Find account' }).press('Enter');
    const account = page.getByRole('region', { name: `Account ${user.email}` });
    await expect.poll(() => account.getByRole('heading', { level: 4 }).textContent(), UI_WAIT).toBe(user.email);
    expect(await statusOf(page, 'Find an account')()).toBe(`Showing ${user.email}.`);
    expect(await shown(page, 'balance')()).toBe('8.65 USD');
    expect(await shown(page, 'status')()).toBe('active');

    // Typed in major units, sent exactly: 0.29 is 29 cents, not 28.999… of them.
    await page.getByLabel('Amount (USD)').fill('2.29');
    await page.getByLabel('Adjustment reason').fill('goodwill for a dropped call');
    await page.getByRole('button', { name: 'Adjust credit' }).click();
    await expect.poll(statusOf(page, 'Adjust credit'), UI_WAIT).toBe('Credit adjusted by 2.29 USD: the balance is 10.94 USD.');
    expect(await shown(page, 'balance')()).toBe('10.94 USD');
    const entries = await database.db
      .selectFrom('ledger_entries')
      .select(['amount'])
      .where('account_id', '=', user.accountId)
      .where('kind', '=', 'adjustment')
      .execute();
    expect(entries).toEqual([{ amount: 2_290_000 }]);
    expect((await balanceOf(database.db, user.accountId)).balance).toBe(before.balance + 2_290_000);
    expect(await audited('billing.adjustment')).toEqual([
      { actor_account_id: operator.accountId, subject_account_id: user.accountId, detail: expect.objectContaining({ amount: 2_290_000 }) },
    ]);

    // More decimals than the currency has never leave the page; the API's own refusal (zero) shows its message.
    await page.getByLabel('Amount (USD)').fill('1.005');
    await page.getByLabel('Adjustment reason').fill('rounding');
    await page.getByRole('button', { name: 'Adjust credit' }).click();
    await expect.poll(statusOf(page, 'Adjust credit'), UI_WAIT).toBe('USD amounts have at most 2 decimals');
    await page.getByLabel('Amount (USD)').fill('0');
    await page.getByRole('button', { name: 'Adjust credit' }).click();
    const zero = await problemFor('POST', `/admin/accounts/${user.accountId}/adjustments`, { amount: '0.00', reason: 'rounding' });
    await expect.poll(statusOf(page, 'Adjust credit'), UI_WAIT).toBe(zero);
    expect(await database.db.selectFrom('ledger_entries').select('id').where('kind', '=', 'adjustment').execute()).toHaveLength(1);

    // The user's own tab shows the new balance once it reads it again.
    await mine.reload();
    await expect.poll(() => mine.locator('#balance').textContent(), UI_WAIT).toBe('10.94 USD');
    await page.screenshot({ path: `${ARTIFACTS}/operator-accounts-credit.png`, fullPage: true });
  });

  it('suspends and lifts outbound calling, sets a call limit, places and lifts a legal hold, downloads the account’s data', async () => {
    const page = await consoleSection('Accounts');
    await page.getByLabel('Account e-mail').fill(user.email);
    await page.getByRole('button', { name: 'Find account' }).click();
    const state = () => page.locator('#operator-console [data-state="outbound"]').textContent();
    await expect.poll(state, UI_WAIT).toBe('Outbound calling is allowed.');

    await page.getByLabel('Suspension reason').fill('calls to premium numbers at night');
    await page.getByRole('button', { name: 'Suspend outbound calling' }).click();
    await expect.poll(statusOf(page, 'Outbound calling'), UI_WAIT).toBe('Outbound calling is suspended.');
    expect(await state()).toMatch(/^Outbound calling is suspended since .+: calls to premium numbers at night$/);
    const limits = () =>
      database.db.selectFrom('account_call_limits').select(['suspended_at', 'suspended_by']).where('account_id', '=', user.accountId).executeTakeFirst();
    expect(await limits()).toEqual({ suspended_at: expect.any(Date), suspended_by: operator.accountId });
    // Suspending twice is the API's 409, its message shown.
    const twice = await problemFor('POST', `/admin/accounts/${user.accountId}/outbound-suspension`, { reason: 'again' });
    expect(twice).toBe('outbound calling is already suspended');
    await page.getByLabel('Suspension reason').fill('the owner confirmed the calls');
    await page.getByRole('button', { name: 'Lift the suspension' }).click();
    await expect.poll(statusOf(page, 'Outbound calling'), UI_WAIT).toBe('Outbound calling is allowed again.');
    expect(await state()).toBe('Outbound calling is allowed.');
    expect(await limits()).toMatchObject({ suspended_at: null });
    expect((await audited('abuse.outbound_suspended')).map((event) => event.actor_account_id)).toEqual([operator.accountId]);
    expect((await audited('abuse.suspension_lifted')).map((event) => [event.actor_account_id, event.subject_account_id])).toEqual([
      [operator.accountId, user.accountId],
    ]);

    await page.getByLabel('Concurrent calls').fill('2');
    await page.getByLabel('Daily spend cap (USD)').fill('7.5');
    await page.getByRole('button', { name: 'Save call limits' }).click();
    await expect.poll(statusOf(page, 'Call limits'), UI_WAIT).toBe('Call limits saved.');
    expect(await shown(page, 'max-concurrent')()).toBe('2');
    expect(await shown(page, 'daily-spend-cap')()).toBe('7.50 USD');
    expect(await audited('abuse.limits_set')).toEqual([
      expect.objectContaining({ actor_account_id: operator.accountId, detail: expect.objectContaining({ maxConcurrentCalls: 2, dailySpendCap: 7_500_000 }) }),
    ]);

    await page.getByLabel('Legal hold reason').fill('court order 2026/118');
    await page.getByRole('button', { name: 'Place legal hold' }).click();
    await expect.poll(statusOf(page, 'Legal holds'), UI_WAIT).toBe('Legal hold placed.');
    const table = page.getByRole('table', { name: 'Legal holds, newest first' });
    const rows = () => table.locator('tbody tr').evaluateAll((all) => all.map((row) => (row.children[2]?.textContent === 'Active' ? 'active' : 'lifted')));
    expect(await rows()).toEqual(['active']);
    const active = () => database.db.selectFrom('legal_holds').select('id').where('account_id', '=', user.accountId).where('lifted_at', 'is', null).execute();
    expect(await active()).toHaveLength(1);
    await page.getByRole('button', { name: 'Lift legal hold: court order 2026/118' }).click();
    await expect.poll(statusOf(page, 'Legal holds'), UI_WAIT).toBe('Legal hold lifted.');
    expect(await rows()).toEqual(['lifted']);
    expect(await active()).toEqual([]);
    expect((await audited('admin.legal_hold_placed')).map((event) => event.actor_account_id)).toEqual([operator.accountId]);
    expect((await audited('admin.legal_hold_lifted')).map((event) => event.actor_account_id)).toEqual([operator.accountId]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-accounts-account.png`, fullPage: true });
    // On a laptop screen (1280 px) the account's page does not scroll sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);

    // The export's reason is the API's to check (at least 3 characters): its message is shown, nothing is saved.
    await page.getByLabel('Export reason').fill('no');
    await page.getByRole('button', { name: 'Download account data' }).click();
    const short = await problemFor('GET', `/admin/accounts/${user.accountId}/export?reason=no`);
    await expect.poll(statusOf(page, 'Data export'), UI_WAIT).toBe(short);
    await page.getByLabel('Export reason').fill('subject access request 77');
    const file = await downloaded(page, () => page.getByRole('button', { name: 'Download account data' }).click());
    expect(file.name).toBe(`dialo-account-${user.accountId}.json`);
    const bundle = JSON.parse(file.text) as { accountId: string; data: { cdrs: { id: string }[]; ledger_entries: unknown[] } };
    expect(bundle.accountId).toBe(user.accountId);
    expect(bundle.data.cdrs.map((row) => row.id).sort()).toEqual([...seeded.user, ...seeded.earlier].sort());
    await expect.poll(statusOf(page, 'Data export'), UI_WAIT).toBe(`Downloaded ${file.name}.`);
    expect((await audited('admin.export')).map((event) => [event.actor_account_id, event.subject_account_id])).toEqual([[operator.accountId, user.accountId]]);

    // Signed out, the page keeps nothing of the account for whoever uses this browser next.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in or create an account' }).isVisible(), UI_WAIT).toBe(true);
    expect(await page.locator('#operator-console .operator-account').count()).toBe(0);
    expect(await page.locator('#operator-console').getByLabel('Account e-mail').inputValue()).toBe('');
  });

  it('exports the call records a filter picks as CSV and NDJSON downloads', async () => {
    const page = await consoleSection('CDR export');
    const download = () => page.getByRole('button', { name: 'Download call records' }).click();

    // One account on the seeded day, as CSV: its three calls, not the other account's, not the week before.
    await page.getByLabel('Calls from').fill(dayOf(day));
    await page.getByLabel('Calls to').fill(dayOf(day));
    await page.getByLabel('Only the account').fill(user.email);
    const csv = await downloaded(page, download);
    expect(csv.name).toMatch(/^dialo-cdrs-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = parse(csv.text, { columns: true }) as { id: string; account_id: string; to_number: string; cost: string }[];
    expect(rows.map((row) => row.id).sort()).toEqual([...seeded.user].sort());
    expect(rows.map((row) => [row.to_number, row.cost]).sort()).toEqual([
      ['+33142685300', '0.15'],
      ['+442079460958', '1.20'],
      ['+442079460959', ''],
    ]);
    await expect.poll(statusOf(page, 'Export call records'), UI_WAIT).toBe(`Downloaded ${csv.name}.`);

    // Every account's answered calls from the week before up to the seeded day, as NDJSON: not the user's cancelled one.
    await page.getByLabel('Calls from').fill(dayOf(new Date(day.getTime() - 7 * DAY_MS)));
    await page.getByLabel('Only the account').fill('');
    await page.getByLabel('Call outcome').selectOption({ label: 'Answered' });
    await page.getByLabel('File format').selectOption({ label: 'NDJSON (one JSON object a line)' });
    const ndjson = await downloaded(page, download);
    expect(ndjson.name).toMatch(/\.ndjson$/);
    const lines = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string });
    expect(lines.map((line) => line.id).sort()).toEqual([...seeded.user.slice(0, 2), ...seeded.other, ...seeded.earlier].sort());
    expect(
      (await audited('admin.cdr_export')).map((event) => {
        const detail = event.detail as { format: string; outcome: string | null };
        return [event.actor_account_id, event.subject_account_id, detail.format, detail.outcome];
      }),
    ).toEqual([
      [operator.accountId, user.accountId, 'csv', null],
      [operator.accountId, null, 'ndjson', 'answered'],
    ]);

    // Days the wrong way round, and an address nobody has, are said so and nothing is exported.
    await page.getByLabel('Calls from').fill(dayOf(day));
    await page.getByLabel('Calls to').fill(dayOf(new Date(day.getTime() - DAY_MS)));
    await download();
    await expect.poll(statusOf(page, 'Export call records'), UI_WAIT).toBe('The first day must not be after the last day.');
    await page.getByLabel('Calls to').fill('');
    await page.getByLabel('Only the account').fill('nobody@example.org');
    await download();
    await expect.poll(statusOf(page, 'Export call records'), UI_WAIT).toBe('No account has the address nobody@example.org.');
    expect(await audited('admin.cdr_export')).toHaveLength(2);
    await page.screenshot({ path: `${ARTIFACTS}/operator-cdr-export.png`, fullPage: true });
  });

  it('draws the dashboard over custom days: by hour for a day, by day for longer, checked before anything is read', async () => {
    const page = await consoleSection('Dashboard');
    await page.getByLabel('Time range').selectOption({ label: 'Custom dates' });
    const message = () => page.locator('#operator-section-dashboard [role="status"]').textContent();
    const bars = (chart: string) => () =>
      page
        .locator(`#operator-console figure[data-chart="${chart}"] g.usage-bar`)
        .evaluateAll((groups) => groups.map((group) => [group.getAttribute('data-label'), group.getAttribute('data-value')]));

    // The seeded day: its three answered calls, by hour. (Between the two fills the page may draw the first day to
    // today, by day, with the same three calls: only the hours tell the day's own drawing.)
    await page.getByLabel('First day').fill(dayOf(day));
    await page.getByLabel('Last day').fill(dayOf(day));
    const hour = (offset: number) => `${dayOf(day)} ${String(day.getUTCHours() + offset).padStart(2, '0')}:00`;
    const answered = async () => (await bars('answered')()).filter(([, calls]) => calls !== '0');
    await expect.poll(answered, UI_WAIT).toEqual([
      [hour(0), '2'],
      [hour(1), '1'],
    ]);
    expect(await bars('answered')()).toHaveLength(24);
    expect(await shown(page, 'answered')()).toBe('3');
    expect(await shown(page, 'cancelled')()).toBe('1');

    // The day before leaves them out.
    const before = dayOf(new Date(day.getTime() - DAY_MS));
    await page.getByLabel('First day').fill(before);
    await page.getByLabel('Last day').fill(before);
    await expect.poll(shown(page, 'answered'), UI_WAIT).toBe('0');
    expect(await shown(page, 'cancelled')()).toBe('0');

    // From the week before to the seeded day: by day, the earlier call in too.
    await page.getByLabel('First day').fill(dayOf(new Date(day.getTime() - 7 * DAY_MS)));
    await page.getByLabel('Last day').fill(dayOf(day));
    await expect.poll(shown(page, 'answered'), UI_WAIT).toBe('4');
    expect(await bars('answered')()).toHaveLength(8);
    expect(await answered()).toEqual([
      [dayOf(new Date(day.getTime() - 7 * DAY_MS)), '1'],
      [dayOf(day), '3'],
    ]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-dashboard-custom.png`, fullPage: true });

    // Backwards, or longer than a chart can show: said so, and the figures drawn stay those of the last good range.
    await page.getByLabel('First day').fill(dayOf(new Date(day.getTime() + DAY_MS)));
    await expect.poll(message, UI_WAIT).toBe('The first day must not be after the last day.');
    await page.getByLabel('First day').fill('2025-01-01');
    const span = Math.round((Date.parse(`${dayOf(day)}T00:00:00Z`) - Date.parse('2025-01-01T00:00:00Z')) / DAY_MS) + 1;
    await expect.poll(message, UI_WAIT).toBe(`Choose at most 93 days (this is ${span}).`);
    expect(await shown(page, 'answered')()).toBe('4');
  });
});
