// Call waiting in the softphone app, in real Chromium against the real call stack (drachtio-server, our registrar and
// B2BUA; tab-to-tab media, no FreeSWITCH), driven through the screen: a second call during a call waits with Answer and
// hold and Decline; answered, the first is held (re-INVITE, sendonly), Swap changes which is held, hanging up one
// leaves the other held with Resume; a third call while two are up is refused 486 Busy Here; each call is its own
// record, both in the history.
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, signIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { signInOnScreen, useAppOnCallStack, useAppTabs } from '../harness/softphone-app.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing';
const TEST_MS = 120_000;
const UI_WAIT = { timeout: 15_000, interval: 100 };

const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

/** Keeps the page's peer connections on `window.dialoConnections`, so the test can read their SDP directions. */
function keepConnections(): void {
  const page = globalThis as unknown as { RTCPeerConnection: new (...args: unknown[]) => object; dialoConnections: object[] };
  const Native = page.RTCPeerConnection;
  page.dialoConnections = [];
  page.RTCPeerConnection = class extends Native {
    constructor(...args: unknown[]) {
      super(...args);
      page.dialoConnections.push(this);
    }
  };
}

/** A peer connection, as far as the test reads it (Node's types have no DOM). */
interface PageConnection {
  readonly connectionState: string;
  getTransceivers(): { readonly currentDirection: string | null }[];
}

/** The audio direction each of the page's live connections negotiated, in creation order. */
const directions = (page: Page) =>
  page.evaluate(() =>
    (globalThis as unknown as { dialoConnections: PageConnection[] }).dialoConnections
      .filter((connection) => connection.connectionState !== 'closed')
      .map((connection) => connection.getTransceivers()[0]?.currentDirection),
  );

describe.skipIf(missing)('call waiting in the softphone app', () => {
  const suite = useCallStack({});
  const { did } = inboundFixtures(() => suite.database);
  const app = useAppOnCallStack(suite);
  const tabs = useAppTabs();
  let numbers = 0;

  /** A verified user with a US number, signed in on a tab of its own. */
  async function userOnScreen() {
    const user = await signIn(app().api, suite.database.db);
    const number = `+1415555029${numbers++}`;
    await did(number, user.accountId);
    const page = await tabs.open(app().url, async (context: BrowserContext) => {
      await context.addInitScript(keepConnections);
    });
    await signInOnScreen(page, user.email, TEST_PASSWORD);
    return { ...user, number, page };
  }

  async function call(from: Page, number: string): Promise<void> {
    await from.getByLabel('Number to call').fill(number);
    await from.getByRole('button', { name: 'Call', exact: true }).click();
  }

  /** Alice calls Bob, Bob answers; then Carol calls Bob. */
  async function waitingCall() {
    const [alice, bob, carol] = [await userOnScreen(), await userOnScreen(), await userOnScreen()];
    await call(alice.page, bob.number);
    await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
    await bob.page.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Connected');
    await call(carol.page, bob.number);
    // Bob sees who waits, in words, beside the call he is in.
    await expect.poll(text(bob.page, '#waiting-state'), UI_WAIT).toBe('Call waiting');
    expect(await bob.page.locator('#waiting-party').textContent()).toBe(`From ${carol.number}`);
    expect(await bob.page.locator('#call-state').textContent()).toBe('Connected');
    return { alice, bob, carol };
  }

  it('answer and hold, swap, hang up one: the other stays held with Resume; a third call is busy', { timeout: TEST_MS }, async () => {
    const { alice, bob, carol } = await waitingCall();
    const bobPage = bob.page;

    await bobPage.getByRole('button', { name: `Answer and hold: answer ${carol.number}, hold ${alice.number}`, exact: true }).click();
    await expect.poll(text(carol.page, '#call-state'), UI_WAIT).toBe('Connected');
    // Alice is held: Bob's offer is sendonly, her side receives nothing; her call view says so.
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Held by the other party');
    expect(await directions(alice.page)).toEqual(['recvonly']);
    await expect.poll(text(bobPage, '#call-state'), UI_WAIT).toBe('On hold');
    await expect.poll(text(bobPage, '#waiting-state'), UI_WAIT).toBe('Connected');
    // Bob's connections: Alice's held (sendonly), Carol's talking.
    expect(await directions(bobPage)).toEqual(['sendonly', 'sendrecv']);
    expect(await directions(carol.page)).toEqual(['sendrecv']);
    // The buttons say which call they act on.
    expect(await bobPage.getByRole('button', { name: `Resume ${alice.number}`, exact: true }).isVisible()).toBe(true);
    expect(await bobPage.getByRole('button', { name: `Hang up ${carol.number}`, exact: true }).isVisible()).toBe(true);

    // A third call while two are up is refused busy.
    const dave = await userOnScreen();
    await call(dave.page, bob.number);
    await expect.poll(text(dave.page, '#call-outcome'), UI_WAIT).toBe('Call failed: 486 Busy Here');

    // Swap: Carol held, Alice resumed.
    await bobPage.getByRole('button', { name: `Swap: hold ${carol.number}, resume ${alice.number}`, exact: true }).click();
    await expect.poll(text(bobPage, '#waiting-state'), UI_WAIT).toBe('On hold');
    await expect.poll(text(bobPage, '#call-state'), UI_WAIT).toBe('Connected');
    await expect.poll(text(carol.page, '#call-state'), UI_WAIT).toBe('Held by the other party');
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Connected');
    expect(await directions(alice.page)).toEqual(['sendrecv']);
    expect(await directions(carol.page)).toEqual(['recvonly']);
    expect(await directions(bobPage)).toEqual(['sendrecv', 'sendonly']);

    // Bob hangs up Alice: Carol's call is left, held, with Resume.
    await bobPage.getByRole('button', { name: `Hang up ${alice.number}`, exact: true }).click();
    await expect.poll(text(alice.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
    await expect.poll(text(bobPage, '#call-party'), UI_WAIT).toBe(`From ${carol.number}`);
    expect(await bobPage.locator('#waiting-call').isHidden()).toBe(true);
    expect(await bobPage.locator('#call-state').textContent()).toBe('On hold');
    expect(await bobPage.locator('#call-outcome').textContent()).toMatch(/^Call ended/);
    await bobPage.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(text(bobPage, '#call-state'), UI_WAIT).toBe('Connected');
    await expect.poll(text(carol.page, '#call-state'), UI_WAIT).toBe('Connected');
    expect(await directions(carol.page)).toEqual(['sendrecv']);
    expect(await directions(bobPage)).toEqual(['sendrecv']);

    // Carol hangs up: Bob is back on the dialer.
    await carol.page.getByRole('button', { name: 'Hang up', exact: true }).click();
    await expect.poll(text(bobPage, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
    await bobPage.getByLabel('Number to call').waitFor();
    // Each call its own record: Bob's history has both, answered.
    const rows = () => bobPage.locator('#history-rows tr').allTextContents();
    await expect.poll(async () => (await rows()).filter((row) => /ended/.test(row)).length, UI_WAIT).toBe(2);
    const history = await rows();
    expect(history.some((row) => row.includes(alice.number))).toBe(true);
    expect(history.some((row) => row.includes(carol.number))).toBe(true);
  });

  it('declining the waiting call leaves the first connected', { timeout: TEST_MS }, async () => {
    const { alice, bob, carol } = await waitingCall();
    await bob.page.getByRole('button', { name: `Decline ${carol.number}`, exact: true }).click();
    await expect.poll(text(carol.page, '#call-outcome'), UI_WAIT).toBe('Call failed: 603 Decline');
    expect(await bob.page.locator('#waiting-call').isHidden()).toBe(true);
    await expect.poll(text(bob.page, '#call-outcome'), UI_WAIT).toBe(`Declined the call from ${carol.number}`);
    expect(await bob.page.locator('#call-state').textContent()).toBe('Connected');
    expect(await alice.page.locator('#call-state').textContent()).toBe('Connected');
    expect(await directions(alice.page)).toEqual(['sendrecv']);
    // Plain names again, with one call.
    await bob.page.getByRole('button', { name: 'Hang up', exact: true }).click();
    await expect.poll(text(alice.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
  });

  it('transfer to held call: bob joins alice and carol (attended, Replaces); both his calls end, the two stay connected', { timeout: TEST_MS }, async () => {
    const { alice, bob, carol } = await waitingCall();
    await bob.page.getByRole('button', { name: `Answer and hold: answer ${carol.number}, hold ${alice.number}`, exact: true }).click();
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Held by the other party');
    await expect.poll(text(bob.page, '#waiting-state'), UI_WAIT).toBe('Connected');
    await bob.page.getByRole('button', { name: `Transfer to held call: join ${alice.number} and ${carol.number}, leaving both calls`, exact: true }).click();
    // Bob's two calls end (the server's BYEs); alice, re-INVITEd without an offer, offers to carol and is no longer held.
    await bob.page.getByLabel('Number to call').waitFor();
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Connected');
    expect(await carol.page.locator('#call-state').textContent()).toBe('Connected');
    // Alice takes carol's answer from the ACK.
    await expect.poll(() => directions(alice.page), UI_WAIT).toEqual(['sendrecv']);
    expect(await directions(carol.page)).toEqual(['sendrecv']);
    // The joined call is bob's on-net record, linked; his two calls ended as transferred.
    const rows = await suite.database.db.selectFrom('cdrs').selectAll().where('account_id', '=', bob.accountId).orderBy('started_at').execute();
    expect(rows.filter((row) => row.hangup_cause === 'transferred')).toHaveLength(2);
    expect(rows.find((row) => row.transferred_from !== null)).toMatchObject({ direction: 'onnet', answered_at: expect.any(Date), cost: null });
    await alice.page.getByRole('button', { name: 'Hang up', exact: true }).click();
    await expect.poll(text(carol.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
  });
});
