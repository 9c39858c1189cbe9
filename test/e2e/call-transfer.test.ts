// Transfer (REFER, RFC 3515) from a tab in real Chromium, through the real call stack: drachtio-server, our B2BUA,
// FreeSWITCH between the carriers' RTP and the tabs' WebRTC, and sipp as the carriers. Blind: a carrier calls alice's
// number; alice transfers the carrier to bob's tab, or to a carrier number. Attended (Replaces, RFC 3891): alice holds
// the carrier, calls bob, and joins the two. Each carrier scenario fails on any message it does not expect, so its
// passing says it never got a BYE before its own. A transfer the rules refuse keeps the call.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { TRANSFERRED_CAUSE } from '../../core/calls/transfer.ts';
import { TEST_PASSWORD, signIn } from '../harness/api.ts';
import { credit } from '../harness/billing.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../harness/calls.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeUdpPort } from '../harness/external.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { runSipp, sippBinary, type SippRun } from '../harness/sipp.ts';
import { signInOnScreen, useAppOnCallStack, useAppTabs } from '../harness/softphone-app.ts';
import { audioArrives, useSoftphoneUsers, type SoftphoneUser } from '../harness/softphone-users.ts';
import type { SoftphoneTab } from '../harness/softphone-tab.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing') || sippBinary === undefined;
const TEST_MS = 120_000;
/** Carriers call from here (the inbound trunk's allowed source); the tabs and FreeSWITCH are on 127.0.0.1. */
const CARRIER = '127.0.0.2';
/** sipp sends back every RTP packet it receives, on its own media port. */
const echoAudio = async () => ['-rtp_echo', '-mp', String(await freeUdpPort())];

describe.skipIf(missing)('transfer from a tab, through FreeSWITCH, with sipp carriers', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const refresh = refreshOf(() => suite.stack);
  const { carrier } = callFixtures(() => suite.database, refresh);
  const { inboundTrunk } = inboundFixtures(() => suite.database);
  const users = useSoftphoneUsers(suite);

  const records = (accountId: string) =>
    suite.database.db.selectFrom('cdrs').selectAll().where('account_id', '=', accountId).orderBy('started_at').orderBy('id').execute();
  const charges = async (accountId: string) =>
    (
      await suite.database.db
        .selectFrom('ledger_entries')
        .select(['kind', 'amount'])
        .where('account_id', '=', accountId)
        .where('kind', '=', 'call_charge')
        .execute()
    ).map((entry) => Number(entry.amount));
  /** Every record of the account closed, in order. */
  const closedRecords = async (accountId: string, count: number) => {
    let rows: Awaited<ReturnType<typeof records>> = [];
    await expect.poll(async () => ((rows = await records(accountId)), rows.filter((row) => row.ended_at !== null).length), { timeout: 20_000 }).toBe(count);
    return rows;
  };

  /** A carrier (sipp, from CARRIER) calls alice's number, echoing what it hears; alice's tab answers. */
  async function carrierCallsAlice(scenario: string, talkMs: number) {
    // The call stack empties the trunks after each test.
    await inboundTrunk('carrier-in', [`${CARRIER}/32`]);
    await refresh();
    const alice = await users.userWithNumber();
    const aliceTab = await alice.openTab();
    const carrierRun = runSipp({
      scenario,
      target: suite.stack.target,
      localAddress: CARRIER,
      fields: [`${alice.number};${talkMs}`],
      extraArgs: await echoAudio(),
      timeoutSeconds: 60,
    });
    const incoming = await aliceTab.run('nextIncoming');
    await aliceTab.run('answer', incoming.id);
    await aliceTab.run('untilState', incoming.id, 'connected');
    await audioArrives(aliceTab, incoming.id);
    return { alice, aliceTab, callId: incoming.id, carrierRun };
  }

  const passed = async (run: Promise<SippRun>) => {
    const done = await run;
    expect(done.code, done.log).toBe(0);
  };

  async function closing(tabs: SoftphoneTab[], test: () => Promise<void>) {
    try {
      await test();
    } finally {
      for (const tab of tabs) await tab.close();
    }
  }

  /**
   * The transferor's tab transfers its call to the target user's tab, which rings showing `shown` (the kept party) and
   * answers; the transferor's call ends, the target's is connected and hears audio. Returns the target's call id.
   */
  async function transferToTab(from: SoftphoneTab, callId: string, to: SoftphoneTab, number: string, shown: string): Promise<string> {
    const outcome = from.run('transfer', callId, number);
    const ringing = await to.run('nextIncoming');
    expect(ringing.remoteUser).toBe(shown);
    await to.run('answer', ringing.id);
    expect(await outcome).toEqual({ ok: true, status: 200, reason: 'OK' });
    await from.run('untilState', callId, 'ended');
    await to.run('untilState', ringing.id, 'connected');
    // The carrier echoes what reaches it: the target hears its own audio back, through FreeSWITCH and the carrier.
    await audioArrives(to, ringing.id);
    return ringing.id;
  }

  it(
    "to another user: bob's tab rings and hears the carrier; alice's call ends as transferred, bob's is a new linked, free record",
    { timeout: TEST_MS },
    async () => {
      const { alice, aliceTab, callId, carrierRun } = await carrierCallsAlice('uac-carrier-call-expect-200.xml', 20_000);
      const bob: SoftphoneUser = await users.userWithNumber();
      const bobTab = await bob.openTab();
      await closing([aliceTab, bobTab], async () => {
        // Bob is shown who he will talk to: the carrier's caller, not alice.
        const bobsCall = await transferToTab(aliceTab, callId, bobTab, bob.number, '+14155550123');
        // The carrier hangs up at the end of its talk time: its BYE reaches bob; it got none before.
        await passed(carrierRun);
        await bobTab.run('untilState', bobsCall, 'ended');
      });
      const [original, transferred] = await closedRecords(alice.accountId, 2);
      expect(original).toMatchObject({ direction: 'inbound', phase: 'ended', ended_by: 'callee', hangup_cause: TRANSFERRED_CAUSE, transferred_from: null });
      expect(transferred).toMatchObject({ direction: 'onnet', phase: 'ended', ended_by: 'caller', transferred_from: original!.id });
      const [bobs] = await closedRecords(bob.accountId, 1);
      expect(bobs).toMatchObject({ direction: 'onnet', phase: 'ended', transferred_from: original!.id });
      expect(transferred!.answered_at!.getTime()).toBeGreaterThanOrEqual(original!.ended_at!.getTime() - 1000);
      // On-net is free: no charge on either account.
      expect(await charges(alice.accountId)).toEqual([]);
      expect(await charges(bob.accountId)).toEqual([]);
    },
  );

  it(
    "to a carrier number: the second carrier answers FreeSWITCH's RTP offer; alice pays for the new leg at her rate, under a hold",
    { timeout: TEST_MS },
    async () => {
      const target = await carrier('carrier-target', 'uas-answer.xml', { timeoutSeconds: 60 });
      const { alice, aliceTab, callId, carrierRun } = await carrierCallsAlice('uac-carrier-call-expect-200.xml', 8000);
      await credit(suite.database.db, alice.accountId, 10 * UNIT);
      await closing([aliceTab], async () => {
        expect(await aliceTab.run('transfer', callId, '+14155550100')).toEqual({ ok: true, status: 200, reason: 'OK' });
        await aliceTab.run('untilState', callId, 'ended');
        // The first carrier hangs up; the target gets its BYE from us. Neither saw any other message.
        await passed(carrierRun);
        await passed(target.done);
      });
      const [original, transferred] = await closedRecords(alice.accountId, 2);
      expect(original).toMatchObject({ direction: 'inbound', ended_by: 'callee', hangup_cause: TRANSFERRED_CAUSE, cost: null });
      expect(transferred).toMatchObject({
        direction: 'outbound',
        phase: 'ended',
        ended_by: 'caller',
        hangup_cause: 'normal',
        trunk_id: target.trunkId,
        transferred_from: original!.id,
        cost: 0.6 * UNIT,
      });
      // The new leg's one charge, settled from its hold; nothing held any more.
      expect(await charges(alice.accountId)).toEqual([-0.6 * UNIT]);
      const holds = await suite.database.db.selectFrom('reservations').select('status').where('account_id', '=', alice.accountId).execute();
      expect(holds.map((hold) => hold.status)).toEqual(['settled']);
    },
  );

  it(
    "an outbound call: alice's tab called a carrier and transfers it to bob's tab; alice's billed record ends as transferred, the new leg is free",
    { timeout: TEST_MS },
    async () => {
      const alice = await users.userWithNumber();
      const bob = await users.userWithNumber();
      await credit(suite.database.db, alice.accountId, 10 * UNIT);
      // The carrier echoes what it hears, and expects the BYE bob's hang-up sends it, and no other.
      const called = await carrier('carrier-called', 'uas-answer.xml', { timeoutSeconds: 60, extraArgs: await echoAudio() });
      const [aliceTab, bobTab] = [await alice.openTab(), await bob.openTab()];
      await closing([aliceTab, bobTab], async () => {
        const callId = await aliceTab.run('dial', '+14155550100');
        await aliceTab.run('untilState', callId, 'connected');
        const bobsCall = await transferToTab(aliceTab, callId, bobTab, bob.number, '+14155550100');
        await bobTab.run('hangup', bobsCall);
        await passed(called.done);
      });
      const [original, transferred] = await closedRecords(alice.accountId, 2);
      expect(original).toMatchObject({ direction: 'outbound', ended_by: 'caller', hangup_cause: TRANSFERRED_CAUSE, cost: 0.6 * UNIT });
      expect(transferred).toMatchObject({ direction: 'onnet', ended_by: 'callee', transferred_from: original!.id, cost: null });
      // Billed as usual up to the transfer: one increment, from its own hold; the on-net leg costs nothing.
      expect(await charges(alice.accountId)).toEqual([-0.6 * UNIT]);
    },
  );

  /**
   * A carrier calls alice (echoing what it hears, hanging up after 20 s, failing on any BYE before its own); she holds
   * it and calls bob. She sends REFER in the carrier
   * call with Replaces naming her call with bob (SIP.js builds it from that session): both her calls end, bob's goes on
   * with the carrier through FreeSWITCH (he hears his own audio back from its echo) until the carrier hangs up.
   */
  async function joinCarrierAndBob() {
    const { alice, aliceTab, callId: carrierCall, carrierRun } = await carrierCallsAlice('uac-carrier-call-expect-200.xml', 20_000);
    await credit(suite.database.db, alice.accountId, 10 * UNIT);
    const bob = await users.userWithNumber();
    const bobTab = await bob.openTab();
    await closing([aliceTab, bobTab], async () => {
      await aliceTab.run('hold', carrierCall);
      const bobCall = await aliceTab.run('dial', bob.number);
      const ringing = await bobTab.run('nextIncoming');
      await bobTab.run('answer', ringing.id);
      await aliceTab.run('untilState', bobCall, 'connected');
      expect(await aliceTab.run('transferToCall', carrierCall, bobCall)).toEqual({ ok: true, status: 200, reason: 'OK' });
      await aliceTab.run('untilState', carrierCall, 'ended');
      await aliceTab.run('untilState', bobCall, 'ended');
      expect(await bobTab.run('snapshot', ringing.id)).toMatchObject({ state: 'connected' });
      await audioArrives(bobTab, ringing.id, (await bobTab.run('inboundAudio', ringing.id)).packetsReceived);
      await passed(carrierRun);
      await bobTab.run('untilState', ringing.id, 'ended');
    });
    return { alice, bob };
  }

  it(
    "attended: a carrier calls alice, she holds it, calls bob, and joins the two (Replaces); neither gets a BYE from us, alice's legs end, she pays the joined call",
    { timeout: TEST_MS },
    async () => {
      const { alice, bob } = await joinCarrierAndBob();
      const [original, withBob, joined] = await closedRecords(alice.accountId, 3);
      expect(original).toMatchObject({ direction: 'inbound', hangup_cause: TRANSFERRED_CAUSE, cost: null });
      expect(withBob).toMatchObject({ direction: 'onnet', hangup_cause: TRANSFERRED_CAUSE, cost: null });
      expect(joined).toMatchObject({ direction: 'outbound', phase: 'ended', ended_by: 'caller', transferred_from: original!.id, cost: 0.6 * UNIT });
      const [bobs] = await closedRecords(bob.accountId, 1);
      expect(bobs).toMatchObject({ direction: 'onnet', hangup_cause: TRANSFERRED_CAUSE });
      // The joined call is alice's carrier call, rated at the carrier's number, settled from its own hold.
      expect(await charges(alice.accountId)).toEqual([-0.6 * UNIT]);
      const holds = await suite.database.db.selectFrom('reservations').select('status').where('account_id', '=', alice.accountId).execute();
      expect(holds.map((hold) => hold.status)).toEqual(['settled']);
    },
  );

  it('attended, with Replaces naming no call of the transferor: 403 replaces-no-such-call, the call goes on', { timeout: TEST_MS }, async () => {
    const { aliceTab, callId, carrierRun } = await carrierCallsAlice('uac-carrier-call-expect-bye.xml', 0);
    await closing([aliceTab], async () => {
      const target = 'sip:bob@127.0.0.1?Replaces=no-such-call%3Bto-tag%3Dt1%3Bfrom-tag%3Df1';
      expect(await aliceTab.run('transfer', callId, target)).toEqual({ ok: false, status: 403, reason: 'replaces-no-such-call' });
      await callGoesOn(aliceTab, callId, carrierRun);
    });
  });

  /** The call goes on as it was after a transfer that did not happen: connected, audio flowing; alice then hangs up. */
  async function callGoesOn(aliceTab: SoftphoneTab, callId: string, carrierRun: Promise<SippRun>): Promise<void> {
    expect(await aliceTab.run('snapshot', callId)).toMatchObject({ state: 'connected' });
    await audioArrives(aliceTab, callId, (await aliceTab.run('inboundAudio', callId)).packetsReceived);
    await aliceTab.run('hangup', callId);
    await aliceTab.run('untilState', callId, 'ended');
    // The carrier's only BYE is the one alice's hang-up sends.
    await passed(carrierRun);
  }

  it('a target that fails (its carrier answers 503): NOTIFY 503, the hold released, the call goes on as it was', { timeout: TEST_MS }, async () => {
    const target = await carrier('carrier-down', 'uas-reject-503.xml', { timeoutSeconds: 60 });
    const { alice, aliceTab, callId, carrierRun } = await carrierCallsAlice('uac-carrier-call-expect-bye.xml', 0);
    await credit(suite.database.db, alice.accountId, 10 * UNIT);
    await closing([aliceTab], async () => {
      expect(await aliceTab.run('transfer', callId, '+14155550100')).toEqual({ ok: false, status: 503, reason: 'Service Unavailable' });
      await passed(target.done);
      await callGoesOn(aliceTab, callId, carrierRun);
    });
    const rows = await closedRecords(alice.accountId, 2);
    expect(rows.find((row) => row.direction === 'inbound')).toMatchObject({ phase: 'ended', hangup_cause: 'normal' });
    expect(rows.find((row) => row.direction === 'outbound')).toMatchObject({ phase: 'failed', sip_status: 503, transferred_from: expect.any(String) });
    expect(await charges(alice.accountId)).toEqual([]);
    const holds = await suite.database.db.selectFrom('reservations').select('status').where('account_id', '=', alice.accountId).execute();
    expect(holds.map((hold) => hold.status)).toEqual(['released']);
  });

  it('a target the rules refuse (a blocked prefix): 403 destination-blocked, the call goes on and ends as a normal call', { timeout: TEST_MS }, async () => {
    await suite.database.db
      .insertInto('blocked_prefixes')
      .values({ prefix: '1900', reason: 'premium rate' })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    await refresh();
    const { alice, aliceTab, callId, carrierRun } = await carrierCallsAlice('uac-carrier-call-expect-bye.xml', 0);
    await credit(suite.database.db, alice.accountId, 10 * UNIT);
    await closing([aliceTab], async () => {
      expect(await aliceTab.run('transfer', callId, '+19005550100')).toEqual({ ok: false, status: 403, reason: 'destination-blocked' });
      // Not a number: refused as a dialled call would be.
      expect(await aliceTab.run('transfer', callId, 'pizza')).toEqual({ ok: false, status: 484, reason: 'bad-number' });
      await callGoesOn(aliceTab, callId, carrierRun);
    });
    const rows = await closedRecords(alice.accountId, 2);
    const original = rows.find((row) => row.direction === 'inbound');
    const refused = rows.find((row) => row.direction === 'outbound');
    expect(original).toMatchObject({ phase: 'ended', ended_by: 'callee', hangup_cause: 'normal' });
    // The refused target is on record as alice's refused attempt, linked to the call it was for.
    expect(refused).toMatchObject({ phase: 'refused', refusal_reason: 'destination-blocked', transferred_from: original!.id });
    expect(await charges(alice.accountId)).toEqual([]);
  });
});

describe.skipIf(drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing')('blind transfer on screen, tab to tab', () => {
  const suite = useCallStack({});
  const { did } = inboundFixtures(() => suite.database);
  const app = useAppOnCallStack(suite);
  const tabs = useAppTabs();
  let numbers = 0;
  const UI_WAIT = { timeout: 15_000, interval: 100 };
  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  async function userOnScreen() {
    const user = await signIn(app().api, suite.database.db);
    const number = `+1415555031${numbers++}`;
    await did(number, user.accountId);
    const page = await tabs.open(app().url);
    await signInOnScreen(page, user.email, TEST_PASSWORD);
    return { ...user, number, page };
  }

  async function call(from: Page, number: string): Promise<void> {
    await from.getByLabel('Number to call').fill(number);
    await from.getByRole('button', { name: 'Call', exact: true }).click();
  }

  async function transfer(page: Page, target: string): Promise<void> {
    await page.getByRole('button', { name: 'Transfer', exact: true }).click();
    await page.getByLabel('Transfer to').fill(target);
    await page.getByRole('button', { name: 'Transfer call', exact: true }).click();
  }

  /** Alice calls Bob, Bob answers. */
  async function aliceCallsBob() {
    const [alice, bob] = [await userOnScreen(), await userOnScreen()];
    await call(alice.page, bob.number);
    await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
    await bob.page.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(text(alice.page, '#call-state'), UI_WAIT).toBe('Connected');
    return { alice, bob };
  }

  it("bob transfers alice to carol: carol's tab rings with alice's number, the two talk, bob's call ends as transferred", { timeout: TEST_MS }, async () => {
    const { alice, bob } = await aliceCallsBob();
    const carol = await userOnScreen();
    await transfer(bob.page, carol.number);
    await expect.poll(text(bob.page, '#transfer-status'), UI_WAIT).toMatch(/^Transferring to/);
    await expect.poll(text(carol.page, '#call-state'), UI_WAIT).toBe('Incoming call');
    expect(await carol.page.locator('#call-party').textContent()).toBe(`From ${alice.number}`);
    await carol.page.getByRole('button', { name: 'Answer' }).click();
    await expect.poll(text(bob.page, '#call-outcome'), UI_WAIT).toMatch(new RegExp(`^Call transferred to \\${carol.number}`));
    await expect.poll(text(carol.page, '#call-state'), UI_WAIT).toBe('Connected');
    // Alice never left her call: it is the same one, now with carol (her offer re-negotiated by a re-INVITE).
    expect(await alice.page.locator('#call-state').textContent()).toBe('Connected');
    expect(await alice.page.locator('#call-party').textContent()).toBe(`To ${bob.number}`);
    await alice.page.getByRole('button', { name: 'Hang up', exact: true }).click();
    await expect.poll(text(carol.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
    const [original, transferred] = await suite.database.db
      .selectFrom('cdrs')
      .selectAll()
      .where('account_id', '=', bob.accountId)
      .orderBy('started_at')
      .execute();
    expect(original).toMatchObject({ direction: 'onnet', hangup_cause: TRANSFERRED_CAUSE, ended_by: 'callee' });
    expect(transferred).toMatchObject({ direction: 'onnet', transferred_from: original!.id, cost: null });
  });

  it('a refused transfer says why and keeps the call', { timeout: TEST_MS }, async () => {
    const { alice, bob } = await aliceCallsBob();
    await transfer(bob.page, 'pizza');
    await expect.poll(text(bob.page, '#transfer-status'), UI_WAIT).toBe('Transfer to pizza failed: 484 bad-number. The call goes on.');
    expect(await bob.page.locator('#call-state').textContent()).toBe('Connected');
    expect(await alice.page.locator('#call-state').textContent()).toBe('Connected');
    await bob.page.getByRole('button', { name: 'Hang up', exact: true }).click();
    await expect.poll(text(alice.page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
  });
});
