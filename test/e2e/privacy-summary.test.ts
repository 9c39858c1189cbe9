// The privacy page's table of what is held (GET /privacy/summary) in real Chromium against the real API: each kind
// with its count and next change in the browser's locale, and the notice that a legal obligation pauses deletion.
// No SIP server is needed for this page.
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeLegalHold } from '../../core/privacy/legal-holds.ts';
import { TEST_PASSWORD, TEST_VAULT, signIn } from '../harness/api.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { serveSoftphoneApp, useAppTabs, type ServedSoftphoneApp } from '../harness/softphone-app.ts';

const UI_WAIT = { timeout: 15_000, interval: 100 };
const DAY = 86_400_000;

describe.skipIf(chromiumProvision.via === 'missing')('softphone app: what we hold, in plain view', () => {
  let database: TestDatabase;
  let app: ServedSoftphoneApp;

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    app = await serveSoftphoneApp(database);
  });
  afterAll(async () => {
    await app?.stop();
    await database?.close();
  });
  const tabs = useAppTabs();

  const rowText = (page: Page, kind: string) => () => page.getByRole('row', { name: new RegExp(`^${kind}\\b`) }).textContent();

  it('lists each kind with its count and next change, and says when a legal obligation pauses deletion', async () => {
    const operator = await signIn(app.api, database.db, { role: 'operator' });
    const user = await signIn(app.api, database.db);
    const startedAt = new Date(Date.now() - 10 * DAY);
    await database.db
      .insertInto('cdrs')
      .values({
        sip_call_id: 'summary-e2e',
        direction: 'outbound',
        account_id: user.accountId,
        from_number: '+14155550103',
        to_number: '+442079460103',
        phase: 'ended',
        node_id: 'n',
        started_at: startedAt,
      })
      .execute();
    // Mail sent longer ago than the sent-mail window is due at the next retention run, not on a past date.
    const sentAt = new Date(Date.now() - 10 * DAY);
    await sql`update email_outbox set sent_at = ${sentAt}, created_at = ${sentAt} where account_id = ${user.accountId}`.execute(database.db);
    await placeLegalHold(database.db, TEST_VAULT, operator.accountId, user.accountId, 'court order 2026/5150');

    const page = await tabs.open(app.url);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Privacy' }).click();

    const table = page.getByRole('table', { name: 'What we hold about you, and when it is de-identified or deleted' });
    await table.waitFor(UI_WAIT);
    const deidentifiedOn = await page.evaluate(
      (iso) => new Date(iso).toLocaleDateString(undefined, { dateStyle: 'long' }),
      new Date(startedAt.getTime() + 90 * DAY).toISOString(),
    );
    await expect.poll(rowText(page, 'Calls'), UI_WAIT).toContain('your call records');
    const calls = await rowText(page, 'Calls')();
    expect(calls).toContain(deidentifiedOn);
    expect(calls).toMatch(/to your browser1numbers in full/);
    expect(await rowText(page, 'Payments')()).toContain('Nothing scheduled');
    expect(await rowText(page, 'Mail')()).toContain('At the next retention run: your oldest sent mail is deleted');
    const pause = page.getByRole('note');
    await expect
      .poll(() => pause.textContent(), UI_WAIT)
      .toBe('If you delete your account now, erasure waits: a legal obligation requires us to keep your data for now. It resumes by itself once that ends.');
    expect(await page.locator('#privacy-view').textContent()).not.toContain('5150');
  });
});
