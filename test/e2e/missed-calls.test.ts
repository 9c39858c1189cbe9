// Missed calls in the softphone's history, in real Chromium against the real API: calls seeded through the real call
// record functions (one missed after a push woke the app, one the caller gave up on, one answered), then the user
// signs in and the history badges the missed ones, in words, and not the answered one. No SIP server is needed here.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, TEST_PASSWORD, type SignedIn } from '../harness/api.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { seedCall } from '../harness/seeded-calls.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_WAIT = { timeout: 15_000, interval: 100 };

describe.skipIf(chromiumProvision.via === 'missing')('missed calls in the history (Chromium)', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let app: ServedSoftphoneApp;
  let user: SignedIn;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    database = await freshDatabase(preferredDialect());
    app = await serveSoftphoneApp(database);
    user = await signIn(app.api, database.db);
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const call = { direction: 'inbound' as const, from: '+442079460958', to: '+14155550100' };
    await seedCall(database, user.accountId, { ...call, startedAt: minutesAgo(30), talkSeconds: 42 });
    await seedCall(database, user.accountId, { ...call, startedAt: minutesAgo(20), unanswered: { phase: 'cancelled' } });
    await seedCall(database, user.accountId, {
      ...call,
      startedAt: minutesAgo(10),
      unanswered: { phase: 'failed', status: 480, cause: 'missed-with-push' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.close();
  });
  const tabs = useAppTabs();

  it('badges each missed call "Missed" with why (the app woken by push and not answered, the caller hanging up), and not the answered one', async () => {
    const page = await tabs.open(app.url);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const rows = page.locator('#history-rows tr');
    await expect.poll(() => rows.count(), UI_WAIT).toBe(3);

    // Newest first: the call the woken app did not answer, the one the caller gave up on, the answered one.
    const outcomes = await rows.locator('td:nth-child(5)').allTextContents();
    expect(outcomes).toEqual(['Missed your app was woken but did not answer in time', 'Missed the caller hung up', 'ended (normal)']);
    expect(await page.locator('#history-rows .missed-badge').allTextContents()).toEqual(['Missed', 'Missed']);
    // Read by a screen reader as part of the row, with the number that called.
    await expect.poll(() => page.getByRole('row', { name: /Missed your app was woken/ }).textContent(), UI_WAIT).toContain('+442079460958');
    await page.locator('section.history').screenshot({ path: resolve(ARTIFACTS, 'missed-calls.png') });
  });
});
