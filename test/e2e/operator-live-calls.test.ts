// Live calls and the audit log in the operator console, in real Chromium, on a real call: a desk phone (sipp,
// registered by static credentials) calls a London number out through a carrier's trunk (sipp as the carrier), the
// operator sees it among the live calls, hangs it up from the console, and both sipp ends get our BYE. Once it is over
// the dashboard counts it among the answered calls of this hour, and the audit log shows who hung it up.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { signIn, type SignedIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, onceClosed, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { sippBinary, startSipp } from '../harness/sipp.ts';
import { useAppOnCallStack, useAppTabs } from '../harness/softphone-app.ts';

const missing = [drachtioProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_WAIT = { timeout: 20_000, interval: 200 };
const LONDON = '+442079460958';

describe.skipIf(missing)('operator console: live calls and the audit log (a real call, Chromium)', () => {
  const suite = useCallStack({}, (db) =>
    createRate(db, toRateInput({ prefix: '44', pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier, lastCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const app = useAppOnCallStack(suite);
  const tabs = useAppTabs();

  async function operatorTab(operator: SignedIn): Promise<Page> {
    const page = await tabs.open(app().url);
    await page.getByLabel('E-mail').fill(operator.email);
    await page.getByLabel('Password', { exact: true }).fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#account-email').textContent(), UI_WAIT).toBe(operator.email);
    await page.getByRole('link', { name: 'Operator' }).click();
    return page;
  }

  const console_ = (page: Page) => page.locator('#operator-console');
  const section = (page: Page, id: string) => page.locator(`#operator-section-${id}`);

  it('shows the call, hangs it up with BYE to both ends, then charts it and audits the hang-up', { timeout: 150_000 }, async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const { db } = suite.database;
    const operator = await signIn(app().api, db, { role: 'operator' });
    const page = await operatorTab(operator);
    await console_(page).getByRole('button', { name: 'Live calls' }).click();
    await expect.poll(() => section(page, 'live-calls').getByText('No calls up now.').isVisible(), UI_WAIT).toBe(true);

    const desk = await caller('desk', 10 * UNIT);
    const deskEmail = (await db.selectFrom('accounts').select('email').where('id', '=', desk.accountId).executeTakeFirstOrThrow()).email!;
    const peer = await carrier('carrier-london', 'uas-answer.xml', { timeoutSeconds: 60 });
    // The desk phone stays on the line until our side sends BYE; so does the carrier.
    const call = await startSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: suite.stack.target,
      fields: [desk.fields(LONDON)],
      timeoutSeconds: 60,
    });
    await vi.waitFor(async () => expect((await lastCdr(desk.accountId)).phase).toBe('answered'), { timeout: 15_000, interval: 100 });
    const { id } = await lastCdr(desk.accountId);

    // The section reads the list again by itself while on screen.
    const row = section(page, 'live-calls').locator(`tr[data-key="${id}"]`);
    await expect
      .poll(() => row.locator('td').allTextContents(), UI_WAIT)
      .toEqual([
        expect.any(String),
        'Outbound',
        deskEmail,
        'carrier-london',
        expect.stringMatching(/^\+•+0199$/),
        '+••••••••0958',
        'answered',
        expect.stringMatching(/^\d+:\d\d$/),
        'Hang up',
      ]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-live-calls.png`, fullPage: true });
    // On a laptop screen (1280 px) the page does not scroll sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
    // From the keyboard: the row's button, named for its call.
    const hangUp = row.getByRole('button', { name: /^Hang up the call from \+•+0199 to \+••••••••0958 started / });
    await hangUp.focus();
    await page.keyboard.press('Enter');

    const [callerRun, carrierRun] = [await call.done, await peer.done];
    expect(callerRun.code, callerRun.log).toBe(0);
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const cdr = await onceClosed(() => lastCdr(desk.accountId));
    expect(cdr).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'operator' });
    await expect.poll(() => section(page, 'live-calls').locator('[role="status"]').textContent(), UI_WAIT).toBe('Hanging up the call to +••••••••0958.');
    await expect.poll(() => section(page, 'live-calls').getByText('No calls up now.').isVisible(), UI_WAIT).toBe(true);

    // The dashboard counts it among this hour's answered calls.
    await console_(page).getByRole('button', { name: 'Dashboard' }).click();
    await console_(page).getByRole('button', { name: 'Refresh', exact: true }).click();
    await expect.poll(() => page.locator('#operator-console [data-figure="answered"] dd').textContent(), UI_WAIT).toBe('1');
    const answered = await page
      .locator('#operator-console figure[data-chart="answered"] g.usage-bar')
      .evaluateAll((groups) => groups.map((group) => [group.getAttribute('data-label'), group.getAttribute('data-value')]));
    const hour = cdr.started_at.toISOString();
    expect(answered.filter(([, calls]) => calls !== '0')).toEqual([[`${hour.slice(0, 10)} ${hour.slice(11, 13)}:00`, '1']]);

    // The audit log, narrowed to hang-ups, names the operator, the account and the call.
    await console_(page).getByRole('button', { name: 'Audit log' }).click();
    await section(page, 'audit-log').getByLabel('Action').fill('calls.hang_up_requested');
    await section(page, 'audit-log').getByRole('button', { name: 'Show events' }).click();
    const events = section(page, 'audit-log').locator('tbody tr');
    await expect.poll(() => events.count(), UI_WAIT).toBe(1);
    expect((await events.first().locator('td').allTextContents()).slice(1)).toEqual([
      'calls.hang_up_requested',
      operator.email,
      deskEmail,
      `callId: ${id}, nodeId: ${cdr.node_id}`,
    ]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-audit-log.png`, fullPage: true });
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
  });
});
