// Calls to a number whose owner has no live device but has browsers subscribed to Web Push, through real
// drachtio-server, sipp (the carrier), WebSocket clients as browser tabs, and a push-service stand-in on loopback
// that checks each push's VAPID JWT and decrypts it. The carrier calling a browser tab, through FreeSWITCH:
// test/media/calls-push.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { requestHangUp } from '../../../core/calls/hang-up-request.ts';
import { callHistory } from '../../../core/calls/history.ts';
import { saveSubscription } from '../../../core/push/subscriptions.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { createAccount, credit } from '../../harness/billing.ts';
import { answerCalls, registerBrowserTab } from '../../harness/browser-tab.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { inboundFixtures } from '../../harness/inbound-calls.ts';
import { usePushCalls } from '../../harness/push-calls.ts';
import { browserSubscription, type ReceivedPush } from '../../harness/push-service.ts';
import { derivedScenario, runSipp, sippBinary, startSipp } from '../../harness/sipp.ts';
import type { SignalingStack } from '../../harness/signaling.ts';
import { WsSipClient } from '../../harness/ws-sip-client.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

/** The carrier's address, on the inbound trunk's list. */
const CARRIER = '127.0.0.2';
/** The carrier's calling number (test/sipp/uac-carrier-*.xml). */
const CALLING = '14155550123';

/** A carrier call that must hear ringing (180) before its final answer: the scenario's optional 180 made required. */
const mustRing = (template: string) =>
  derivedScenario(template, (xml) =>
    xml
      .replace('<recv response="180" optional="true"/>', '<recv response="180"/>')
      .replace(
        '<recv response="100" optional="true"/>\n  <recv response="402"',
        '<recv response="100" optional="true"/>\n  <recv response="180"/>\n  <recv response="402"',
      ),
  );

/** What an account's callers and the push service must never learn from a push: the number called, the caller's. */
function expectOnlyAnOpaqueCall(pushes: readonly ReceivedPush[], callId: string, dialled: string) {
  expect(pushes).toHaveLength(1);
  const [push] = pushes;
  expect(JSON.parse(push!.plaintext)).toStrictEqual({ type: 'incoming-call', callId });
  for (const number of [CALLING, dialled.slice(1)]) expect(push!.plaintext).not.toContain(number);
}

const metric = async (stack: SignalingStack, name: string) => stack.metrics.registry.getSingleMetricAsString(name);

describe.skipIf(missing)('a callee with no live device and a push subscription: held ringing, nobody wakes (PUSH_RING_SECONDS=3)', () => {
  const push = usePushCalls(3);
  const suite = useCallStack(push.env, undefined, push.options);
  const { caller } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const { did, inboundTrunk, finishedCallTo } = inboundFixtures(() => suite.database);
  const db = () => suite.database.db;

  async function ownerWithSubscription(username: string, number: string) {
    const owner = await caller(username, UNIT);
    await did(number, owner.accountId);
    return { owner, path: await push.subscribe(db(), owner.accountId) };
  }
  /** The carrier calls `number`, must hear ringing, then 480 with this X-Reason. */
  const ringingCarrierCall = async (number: string, reason: string) => ({
    scenario: await mustRing('uac-carrier-refused.xml'),
    target: suite.stack.target,
    localAddress: CARRIER,
    fields: [number],
    keys: { expect: '480', reason },
  });
  const carrierTrunk = async () => {
    await inboundTrunk('carrier-in', [`${CARRIER}/32`]);
    await suite.stack.signaling.refreshCaches();
  };

  it('pushes "incoming call" and an opaque id only, rings the carrier (180), then 480; the record says missed with push, the history shows it missed, nothing is charged', async () => {
    await carrierTrunk();
    const { owner, path } = await ownerWithSubscription('mia', '+14155550160');
    const call = await runSipp(await ringingCarrierCall('+14155550160', 'no-answer'));
    expect(call.code, call.log).toBe(0);

    const cdr = await finishedCallTo('+14155550160');
    expect(cdr).toMatchObject({
      direction: 'inbound',
      account_id: owner.accountId,
      phase: 'failed',
      sip_status: 480,
      hangup_cause: 'missed-with-push',
      answered_at: null,
      billable_seconds: null,
      cost: null,
    });
    expect(push.service.refused).toEqual([]);
    expectOnlyAnOpaqueCall(push.pushesTo(path), cdr.id, '+14155550160');
    const missed = await callHistory(db(), TEST_VAULT, owner.accountId, { limit: 10 }, { outcome: 'missed' });
    expect(missed.calls.map((record) => [record.id, record.hangup_cause])).toEqual([[cdr.id, 'missed-with-push']]);
    const balance = await balanceOf(db(), owner.accountId);
    expect([balance.balance, balance.available]).toEqual([UNIT, UNIT]);
    expect(await metric(suite.stack, 'dialo_push_rings_total')).toMatch(/result="missed"} 1$/m);
    expect(await metric(suite.stack, 'dialo_calls_waking')).toMatch(/^dialo_calls_waking 0$/m);
  });

  it('a carrier that gives up while the callee is being woken gets 487; the record is cancelled and no wait is left behind', async () => {
    await carrierTrunk();
    const { owner, path } = await ownerWithSubscription('noor', '+14155550161');
    const call = await runSipp({ scenario: 'uac-carrier-cancel-expect-487.xml', target: suite.stack.target, localAddress: CARRIER, fields: ['+14155550161'] });
    expect(call.code, call.log).toBe(0);
    const cdr = await finishedCallTo('+14155550161');
    expect(cdr).toMatchObject({ account_id: owner.accountId, phase: 'cancelled', ended_by: 'caller', answered_at: null, cost: null });
    expect(push.pushesTo(path)).toHaveLength(1);
    expect(await metric(suite.stack, 'dialo_push_rings_total')).toMatch(/result="cancelled"} 1$/m);
    // The call's wait (its watch of the account, its deadline) ended with it.
    expect(await metric(suite.stack, 'dialo_calls_waking')).toMatch(/^dialo_calls_waking 0$/m);
  });

  it("an operator hangs up a call while the callee is being woken: the carrier gets 480 X-Reason operator, the record is the operator's", async () => {
    await carrierTrunk();
    const { owner } = await ownerWithSubscription('otto', '+14155550163');
    const call = await startSipp({ ...(await ringingCarrierCall('+14155550163', 'operator')), timeoutSeconds: 20 });
    const waking = await vi.waitFor(
      async () => {
        const row = await db().selectFrom('cdrs').select(['id', 'phase']).where('account_id', '=', owner.accountId).executeTakeFirstOrThrow();
        if (row.phase !== 'waking') throw new Error('not waking yet');
        return row;
      },
      { timeout: 5_000, interval: 50 },
    );
    // As POST /admin/calls/:id/hang-up records it: the node finds it on its next poll.
    await requestHangUp(db(), { callId: waking.id, operatorId: await createAccount(db()) }, new Date());
    const run = await call.done;
    expect(run.code, run.log).toBe(0);
    const cdr = await finishedCallTo('+14155550163');
    expect(cdr).toMatchObject({ id: waking.id, phase: 'failed', sip_status: 480, ended_by: 'system', hangup_cause: 'operator', answered_at: null, cost: null });
    expect(await metric(suite.stack, 'dialo_calls_waking')).toMatch(/^dialo_calls_waking 0$/m);
  });

  it('an owner whose only subscription is on a host no longer in PUSH_SERVICE_HOSTS is not pushed to (SSRF): 480 offline at once, as without push', async () => {
    await carrierTrunk();
    const owner = await caller('omar', 0);
    await did('+14155550162', owner.accountId);
    const elsewhere = browserSubscription('https://push.internal.example/wpush/1');
    await saveSubscription(db(), TEST_VAULT, owner.accountId, { ...elsewhere, label: null }, { allowedHosts: ['push.internal.example'] });
    const received = push.service.received.length;
    const call = await runSipp({
      scenario: 'uac-carrier-refused.xml',
      target: suite.stack.target,
      localAddress: CARRIER,
      fields: ['+14155550162'],
      keys: { expect: '480', reason: 'offline' },
    });
    expect(call.code, call.log).toBe(0);
    expect(await finishedCallTo('+14155550162')).toMatchObject({ phase: 'refused', refusal_reason: 'offline' });
    expect(push.service.received.length).toBe(received);
    expect(await metric(suite.stack, 'dialo_push_rings_total')).toMatch(/result="undelivered"} 1$/m);
  });
});

describe.skipIf(missing)('a callee with no live device and a push subscription: a tab registers while the caller rings', () => {
  const push = usePushCalls(60);
  const suite = useCallStack(push.env, undefined, push.options);
  const db = () => suite.database.db;
  const { did } = inboundFixtures(() => suite.database);
  const clients: WsSipClient[] = [];
  const connect = async () => {
    const client = await WsSipClient.connect(`ws://127.0.0.1:${suite.stack.drachtio.wsPort}`);
    clients.push(client);
    return client;
  };
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it("a user's tab calls another user whose app is closed: the callee's browser is pushed, its tab registers and answers, the call connects, free for both", async () => {
    const caller = await createAccount(db());
    await credit(db(), caller, UNIT);
    await did('+14155550164', caller);
    const callee = await createAccount(db());
    await did('+14155550165', callee);
    const path = await push.subscribe(db(), callee);
    const callerTab = await registerBrowserTab(await connect(), suite.stack.config.sip!, caller);

    const calling = callerTab.call('+14155550165');
    // The push is what wakes the callee's app: only then does its tab connect and register.
    await vi.waitFor(() => expect(push.pushesTo(path)).toHaveLength(1), { timeout: 10_000 });
    const calleeClient = await connect();
    const answering = answerCalls(calleeClient);
    await registerBrowserTab(calleeClient, suite.stack.config.sip!, callee);

    const answered = await calling;
    expect(answered.status).toBe(200);
    const { invite } = await answering.answered;
    // Both records answered (written as the call is bridged, beside the 200).
    const records = await vi.waitFor(
      async () => {
        const rows = await db().selectFrom('cdrs').select(['id', 'account_id', 'phase']).where('sip_call_id', '=', answered.header('Call-ID')!).execute();
        expect(rows.map((row) => row.phase)).toEqual(['answered', 'answered']);
        return rows;
      },
      { timeout: 5000 },
    );
    const calleeRecord = records.find((record) => record.account_id === callee)!;
    // The push's opaque id is the record id the ringing tab is given (X-Dialo-Call-Record), so its app can match them.
    expect(invite.header('X-Dialo-Call-Record')).toBe(calleeRecord.id);
    expectOnlyAnOpaqueCall(push.pushesTo(path), calleeRecord.id, '+14155550165');

    expect((await callerTab.hangUp(answered)).status).toBe(200);
    await answering.hungUp;
    const closed = await vi.waitFor(
      async () => {
        const rows = await db().selectFrom('cdrs').selectAll().where('sip_call_id', '=', answered.header('Call-ID')!).execute();
        if (rows.some((row) => row.ended_at === null)) throw new Error('not closed yet');
        return rows;
      },
      { timeout: 5000 },
    );
    expect(closed.map((row) => [row.direction, row.phase, row.cost])).toEqual([
      ['onnet', 'ended', null],
      ['onnet', 'ended', null],
    ]);
    const balance = await balanceOf(db(), caller);
    expect([balance.balance, balance.available]).toEqual([UNIT, UNIT]);
    expect(await metric(suite.stack, 'dialo_push_rings_total')).toMatch(/result="woken"} 1$/m);
    expect(await metric(suite.stack, 'dialo_calls_waking')).toMatch(/^dialo_calls_waking 0$/m);
  });
});
