// The operator console's management sections in real Chromium against the real API and a real signaling stack: an
// operator makes a trunk (its digest password write-only, kept across an edit), imports rates from a CSV (a bad line
// is named and nothing lands; then the good deck), edits and deletes a rate, adds a number and assigns it to a user,
// creates a desk phone (its password shown once) and blocks a prefix, each checked in the database. Then the objects
// work: the desk phone (sipp) registers with the password the page showed and calls out through the trunk to a sipp
// carrier that challenges for the trunk's digest, billed at the imported rate; a call to the blocked prefix is refused.
// Last, each is removed from the page (the desk phone then refused). A user's 403 on these routes: test/api/walk.test.ts.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ha1 } from '../../core/accounts/sip-credentials.ts';
import { writeTrunkHealth } from '../../core/calls/trunk-state.ts';
import { digestResponseMatches, parseDigestCredentials } from '../../signaling/auth/digest.ts';
import { signIn, TEST_PASSWORD } from '../harness/api.ts';
import { credit } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { onceClosed, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeUdpPort } from '../harness/external.ts';
import { runSipp, sippBinary, startSipp } from '../harness/sipp.ts';
import { useAppOnCallStack, useAppTabs } from '../harness/softphone-app.ts';

const missing = [drachtioProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const UI_WAIT = { timeout: 15_000, interval: 100 };
const HEADER = 'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from';
const SF = '1415,San Francisco,0.60,60,60,0,2000-01-01T00:00:00Z';
const UK = '44,United Kingdom,0.05,1,1,0,2000-01-01T00:00:00Z';
const BAD = '33,France,cheap,60,60,0,2000-01-01T00:00:00Z';
const csv = (name: string, ...lines: string[]) => ({ name, mimeType: 'text/csv', buffer: Buffer.from([HEADER, ...lines, ''].join('\n')) });

describe.skipIf(missing)('operator console: trunks, numbers, rates, desk phones and blocked prefixes in Chromium', { timeout: 180_000 }, () => {
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '3' });
  const app = useAppOnCallStack(suite);
  const tabs = useAppTabs();

  const region = (page: Page, name: string) => page.getByRole('region', { name, exact: true });
  const statusOf = (page: Page, name: string) => () => region(page, name).getByRole('status').textContent();
  /** Each row of the section's table, its cells' text joined by " | ". */
  const rowsOf = (page: Page, name: string) => () =>
    region(page, name)
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((row) => Array.from(row.children, (cell) => (cell as { textContent: string }).textContent).join(' | ')));
  const open = async (page: Page, name: string) => {
    await page.locator('#operator-console nav').getByRole('button', { name, exact: true }).click();
    await expect.poll(() => region(page, name).isVisible(), UI_WAIT).toBe(true);
  };

  it('makes each object through the page, and they carry a real call', async () => {
    const { database, stack } = suite;
    const db = database.db;
    await mkdir(ARTIFACTS, { recursive: true });
    const operator = await signIn(app().api, db, { role: 'operator' });
    const user = await signIn(app().api, db);
    await credit(db, user.accountId, 10 * UNIT);
    const carrierPort = await freeUdpPort();
    // The carrier challenges the INVITE with 407 and answers only a digest from user "trunkuser".
    const carrier = await startSipp({
      scenario: 'uas-challenge-407-expect-proxy-authorization.xml',
      target: '',
      listenPort: carrierPort,
      timeoutSeconds: 60,
      extraArgs: ['-trace_logs'],
    });

    const page = await tabs.open(app().url);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByLabel('E-mail').fill(operator.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Operator' }).press('Enter');

    // Trunks: added with a digest password, then edited with the password left blank (kept, never shown back).
    await open(page, 'Trunks');
    const trunks = region(page, 'Trunks');
    await trunks.getByLabel('Trunk name').fill('ui-carrier');
    await trunks.getByLabel('Priority').fill('5');
    await trunks.getByLabel('Outbound URI').fill(`sip:127.0.0.1:${carrierPort}`);
    await trunks.getByLabel('Inbound CIDRs').fill('203.0.113.0/99');
    await trunks.getByLabel('Digest username').fill('trunkuser');
    await trunks.getByLabel('Digest password').fill('trunk-pass-from-ui');
    // A refusal shows the problem's own message, and the form keeps what was typed.
    await trunks.getByLabel('Digest password').press('Enter');
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toMatch(/^The trunk was not added: inbound source .*203\.0\.113\.0\/99/);
    expect(await db.selectFrom('trunks').select('id').execute()).toEqual([]);
    await trunks.getByLabel('Inbound CIDRs').fill('203.0.113.0/28, 198.51.100.7/32');
    await trunks.getByLabel('Digest password').press('Enter');
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-carrier added.');
    const made = await db.selectFrom('trunks').selectAll().where('name', '=', 'ui-carrier').executeTakeFirstOrThrow();
    expect(made).toMatchObject({ priority: 5, outbound_uri: `sip:127.0.0.1:${carrierPort}`, auth_username: 'trunkuser', enabled: true });
    expect(made.inbound_sources).toEqual(['203.0.113.0/28', '198.51.100.7/32']);
    // The row shows the state GET /admin/trunks reports (no signaling node has written health for it).
    const listed = (await app().api.inject({ method: 'GET', url: '/admin/trunks', headers: operator.headers })).json<{ trunks: { health: unknown }[] }>();
    expect(listed.trunks[0]!.health).toBeNull();
    expect(await rowsOf(page, 'Trunks')()).toEqual([
      `ui-carrier | 5 | sip:127.0.0.1:${carrierPort} | 203.0.113.0/28, 198.51.100.7/32 | trunkuser (password set) | unknown: no signaling node reports it | does not register | EditRemove`,
    ]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-trunks.png`, fullPage: true });
    // On a laptop screen (1280 px) the wide table scrolls in its box; the page does not scroll sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
    await trunks.getByRole('button', { name: 'Edit trunk ui-carrier' }).click();
    expect(await trunks.getByLabel('Digest password').inputValue()).toBe('');
    // Keyboard users land in the form: the focus is on its first field.
    expect(await page.evaluate('document.activeElement?.id')).toBe(await trunks.getByLabel('Trunk name').getAttribute('id'));
    const down = { state: 'down', since: new Date(), consecutiveFailures: 3, lastStatus: null, lastResult: 'timeout', lastPingAt: new Date() } as const;
    await writeTrunkHealth(db, made.id, 'sig-elsewhere', down, new Date(), 30_000);
    await trunks.getByLabel('Priority').fill('7');
    await trunks.getByRole('button', { name: 'Save trunk' }).click();
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-carrier saved.');
    // Health another signaling node wrote (this stack pings no trunk) shows in the reloaded row, naming that node.
    expect(await rowsOf(page, 'Trunks')()).toContainEqual(expect.stringContaining('| down on sig-elsewhere: 3 pings unanswered |'));
    const edited = await db.selectFrom('trunks').selectAll().where('id', '=', made.id).executeTakeFirstOrThrow();
    expect(edited).toMatchObject({ priority: 7, auth_username: 'trunkuser', auth_password: made.auth_password });

    // A trunk that only registers with its carrier: the registration's fields land, its password kept across an edit.
    const registrarPort = await freeUdpPort();
    await trunks.getByLabel('Trunk name').fill('ui-registrar');
    await trunks.getByLabel('Registrar URI').fill(`sip:127.0.0.1:${registrarPort}`);
    await trunks.getByLabel('Registration username').fill('reg-user');
    await trunks.getByLabel('Registration password').fill('reg-pass-from-ui');
    await trunks.getByLabel('Registration expiry (seconds)').fill('600');
    await trunks.getByLabel('Inbound number read from').selectOption('request-uri');
    await trunks.getByRole('button', { name: 'Add trunk' }).click();
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-registrar added.');
    const registering = () =>
      db
        .selectFrom('trunks')
        .select(['outbound_uri', 'register_uri', 'register_username', 'register_password', 'register_expires', 'register_did_source'])
        .where('name', '=', 'ui-registrar')
        .executeTakeFirstOrThrow();
    const stored = await registering();
    expect(stored).toMatchObject({
      outbound_uri: null,
      register_uri: `sip:127.0.0.1:${registrarPort}`,
      register_username: 'reg-user',
      register_expires: 600,
      register_did_source: 'request-uri',
    });
    expect(stored.register_password).not.toBeNull();
    await trunks.getByRole('button', { name: 'Edit trunk ui-registrar' }).click();
    expect(await trunks.getByLabel('Registration password').inputValue()).toBe('');
    await trunks.getByLabel('Registration expiry (seconds)').fill('900');
    await trunks.getByRole('button', { name: 'Save trunk' }).click();
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-registrar saved.');
    expect(await registering()).toEqual({ ...stored, register_expires: 900 });
    await trunks.getByRole('button', { name: 'Remove trunk ui-registrar' }).press('Enter');
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-registrar removed.');
    // From the keyboard: the removed row's button took the focus with it, so the table has it now.
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('TABLE');
    expect((await db.selectFrom('trunks').select('name').execute()).map((trunk) => trunk.name)).toEqual(['ui-carrier']);

    // A TLS trunk pinned to its carrier's certificate (pasted without colons) with SRTP; the edit form shows them back.
    await trunks.getByLabel('Trunk name').fill('ui-tls');
    await trunks.getByLabel('Outbound URI').fill('sips:127.0.0.1:5061');
    await trunks.getByLabel('TLS pin (SHA-256)').fill('ab'.repeat(32));
    await trunks.getByLabel('Media to the carrier').selectOption('sdes');
    await trunks.getByRole('button', { name: 'Add trunk' }).click();
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-tls added.');
    const pinned = 'AB:'.repeat(31) + 'AB';
    expect(
      await db.selectFrom('trunks').select(['tls_ca_pem', 'tls_pin_sha256', 'media_encryption']).where('name', '=', 'ui-tls').executeTakeFirstOrThrow(),
    ).toEqual({ tls_ca_pem: null, tls_pin_sha256: pinned, media_encryption: 'sdes' });
    await trunks.getByRole('button', { name: 'Edit trunk ui-tls' }).click();
    expect([await trunks.getByLabel('TLS pin (SHA-256)').inputValue(), await trunks.getByLabel('Media to the carrier').inputValue()]).toEqual([pinned, 'sdes']);
    await trunks.getByRole('button', { name: 'Cancel edit' }).click();
    await trunks.getByRole('button', { name: 'Remove trunk ui-tls' }).press('Enter');
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-tls removed.');

    // Rates: a deck with one bad line is refused whole, the line named as the API names it; then the good deck.
    await open(page, 'Rates');
    const rates = region(page, 'Rates');
    const bad = csv('with-a-bad-line.csv', SF, BAD);
    await rates.getByLabel('Rate deck (CSV)').setInputFiles(bad);
    await rates.getByRole('button', { name: 'Import' }).click();
    const refused = await app().api.inject({
      method: 'POST',
      url: '/admin/rates/import',
      headers: { ...operator.headers, 'content-type': 'text/csv' },
      payload: bad.buffer,
    });
    const problem = refused.json<{ detail: string; errors: { path: string; message: string }[] }>();
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors[0]!.path).toBe('line 3');
    await expect
      .poll(() => rates.getByRole('status').innerText(), UI_WAIT)
      .toBe(`The rates were not imported: ${problem.detail}\n\nline 3: ${problem.errors[0]!.message}`);
    expect(await db.selectFrom('rates').select('prefix').execute()).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/operator-rates-refused.png`, fullPage: true });
    await rates.getByLabel('Rate deck (CSV)').setInputFiles(csv('rates.csv', SF, UK));
    await rates.getByRole('button', { name: 'Import' }).click();
    await expect.poll(statusOf(page, 'Rates'), UI_WAIT).toBe('rates.csv: 2 rates imported.');
    expect(await rowsOf(page, 'Rates')()).toEqual([
      '1415 | San Francisco | 0.60 | 60/60 | 0.00 | 2000-01-01T00:00:00.000Z | EditDelete',
      '44 | United Kingdom | 0.05 | 1/1 | 0.00 | 2000-01-01T00:00:00.000Z | EditDelete',
    ]);
    await rates.getByRole('button', { name: 'Edit rate 1415 from 2000-01-01' }).click();
    await rates.getByLabel('Description').fill('San Francisco Bay');
    await rates.getByRole('button', { name: 'Save rate' }).click();
    await expect.poll(statusOf(page, 'Rates'), UI_WAIT).toBe('The rate for 1415 saved.');
    await rates.getByRole('button', { name: 'Delete rate 44 from 2000-01-01' }).click();
    await expect.poll(statusOf(page, 'Rates'), UI_WAIT).toBe('The rate for 44 deleted.');
    expect(await db.selectFrom('rates').select(['prefix', 'description', 'price_per_minute']).execute()).toEqual([
      { prefix: '1415', description: 'San Francisco Bay', price_per_minute: 0.6 * UNIT },
    ]);

    // Numbers: added unassigned, then assigned to the user by their sign-in address.
    await open(page, 'Numbers');
    const numbers = region(page, 'Numbers');
    await numbers.getByLabel('Number (E.164)').fill('+14155550123');
    await numbers.getByRole('button', { name: 'Add number' }).click();
    await expect.poll(statusOf(page, 'Numbers'), UI_WAIT).toBe('+14155550123 added.');
    await numbers.getByLabel('Number to assign').selectOption('+14155550123');
    await numbers.getByLabel('Assign to account address').fill(user.email);
    await numbers.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect.poll(statusOf(page, 'Numbers'), UI_WAIT).toBe(`+14155550123 now rings ${user.email}.`);
    expect(await rowsOf(page, 'Numbers')()).toEqual([`+14155550123 | ${user.email} | UnassignRemove`]);
    expect(await db.selectFrom('dids').select(['e164', 'account_id']).execute()).toEqual([{ e164: '+14155550123', account_id: user.accountId }]);
    // An address no account signs in with is named, and nothing changes.
    await numbers.getByLabel('Assign to account address').fill('nobody@example.org');
    await numbers.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect.poll(statusOf(page, 'Numbers'), UI_WAIT).toBe('The number was not assigned: no account signs in as nobody@example.org');

    // Desk phones: the password is on the page once.
    await open(page, 'Desk phones');
    const phones = region(page, 'Desk phones');
    await phones.getByLabel('Phone owner address').fill(user.email);
    await phones.getByLabel('SIP username').fill('ui-desk');
    await phones.getByRole('button', { name: 'Add desk phone' }).click();
    await expect.poll(statusOf(page, 'Desk phones'), UI_WAIT).toMatch(/^Desk phone ui-desk added/);
    const password = (await phones.locator('code[data-password="ui-desk"]').textContent()) ?? '';
    expect(password).toMatch(/^[\w-]{24}$/);
    await page.screenshot({ path: `${ARTIFACTS}/operator-desk-phone.png`, fullPage: true });
    const credential = await db.selectFrom('sip_credentials').selectAll().where('username', '=', 'ui-desk').executeTakeFirstOrThrow();
    expect(credential.account_id).toBe(user.accountId);
    expect(JSON.stringify(credential)).not.toContain(password);

    // Blocked prefixes.
    await open(page, 'Blocked prefixes');
    const blocked = region(page, 'Blocked prefixes');
    await blocked.getByLabel('Prefix to block').fill('882');
    await blocked.getByLabel('Reason for blocking').fill('satellite fraud');
    await blocked.getByRole('button', { name: 'Block prefix' }).click();
    await expect.poll(statusOf(page, 'Blocked prefixes'), UI_WAIT).toBe('Calls to +882… are refused now.');
    expect(await db.selectFrom('blocked_prefixes').select('prefix').execute()).toEqual([{ prefix: '882' }]);
    const audited = await db.selectFrom('audit_events').select('action').where('actor_account_id', '=', operator.accountId).execute();
    expect(audited.map((event) => event.action)).toEqual(
      expect.arrayContaining([
        'calls.trunk_created',
        'calls.trunk_updated',
        'calls.did_added',
        'calls.did_assigned',
        'sip.desk_phone_added',
        'abuse.prefix_blocked',
      ]),
    );

    // The objects work: the desk phone registers with the shown password and calls out through the trunk.
    await stack.signaling.refreshCaches();
    const auth = `[authentication username=ui-desk password=${password}]`;
    const registered = await runSipp({ scenario: 'uac-register-expect-200.xml', target: stack.target, fields: [`ui-desk;${auth};desk`] });
    expect(registered.code, registered.log).toBe(0);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [`ui-desk;${auth};+14155550100;1000`] });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await carrier.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const sent = /proxy-authorization: (Digest .*)/i.exec(carrierRun.trace)?.[1];
    expect(sent, carrierRun.trace).toBeDefined();
    expect(digestResponseMatches(parseDigestCredentials(sent!), 'INVITE', ha1('MD5', 'trunkuser', 'carrier.test', 'trunk-pass-from-ui'))).toBe(true);
    const cdr = await onceClosed(() => db.selectFrom('cdrs').selectAll().where('account_id', '=', user.accountId).executeTakeFirstOrThrow());
    expect(cdr).toMatchObject({ direction: 'outbound', phase: 'ended', sip_status: 200, trunk_id: made.id, cost: 0.6 * UNIT });
    const refusedCall = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: stack.target,
      fields: [`ui-desk;${auth};+88216000000`],
      keys: { expect: '403', reason: 'destination-blocked' },
    });
    expect(refusedCall.code, refusedCall.log).toBe(0);

    // Each goes again from the page: the phone can no longer register, and nothing is left.
    await open(page, 'Desk phones');
    await phones.getByRole('button', { name: 'Remove desk phone ui-desk' }).click();
    await expect.poll(statusOf(page, 'Desk phones'), UI_WAIT).toBe('Desk phone ui-desk removed.');
    expect(await phones.locator('code').count()).toBe(0);
    await stack.signaling.refreshCaches();
    const gone = await runSipp({ scenario: 'uac-register-expect-403.xml', target: stack.target, fields: [`ui-desk;${auth};desk`] });
    expect(gone.code, gone.log).toBe(0);
    await open(page, 'Blocked prefixes');
    await blocked.getByRole('button', { name: 'Unblock 882' }).click();
    await expect.poll(statusOf(page, 'Blocked prefixes'), UI_WAIT).toBe('Calls to +882… are allowed again.');
    await open(page, 'Numbers');
    await numbers.getByRole('button', { name: 'Unassign +14155550123' }).click();
    await expect.poll(statusOf(page, 'Numbers'), UI_WAIT).toBe('+14155550123 rings no one now.');
    expect(await db.selectFrom('dids').select(['e164', 'account_id']).execute()).toEqual([{ e164: '+14155550123', account_id: null }]);
    await numbers.getByRole('button', { name: 'Remove +14155550123' }).click();
    await expect.poll(statusOf(page, 'Numbers'), UI_WAIT).toBe('+14155550123 removed.');
    await open(page, 'Trunks');
    await trunks.getByRole('button', { name: 'Remove trunk ui-carrier' }).click();
    await expect.poll(statusOf(page, 'Trunks'), UI_WAIT).toBe('Trunk ui-carrier removed.');
    expect(await rowsOf(page, 'Trunks')()).toEqual(['None yet.']);
    for (const table of ['sip_credentials', 'blocked_prefixes', 'dids', 'trunks'] as const) {
      expect(await db.selectFrom(table).selectAll().execute(), table).toEqual([]);
    }
  });
});
