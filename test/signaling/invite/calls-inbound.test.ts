// Calls to numbers we host, through real drachtio-server: sipp as the carrier (calling from a trunk's listed
// address), as the DID owner's phones (registered through the registrar) and as an on-net caller.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { openCallRecords } from '../../../core/calls/history.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { freePort } from '../../harness/external.ts';
import { registerBrowserTab } from '../../harness/browser-tab.ts';
import { inboundFixtures, type Phone } from '../../harness/inbound-calls.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { receivedNoCall, runSipp, sippBinary } from '../../harness/sipp.ts';
import { WsSipClient } from '../../harness/ws-sip-client.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

/** The carrier's address, on the inbound trunk's list; a stranger's, on no list (all of 127/8 is loopback). */
const CARRIER = '127.0.0.2';
const STRANGER = '127.0.0.3';

describe.skipIf(missing)('inbound and on-net calls over real drachtio-server', () => {
  let database: TestDatabase;
  let stack: SignalingStack;
  let trunkId: number;

  const { caller } = callFixtures(
    () => database,
    refreshOf(() => stack),
  );
  const { did, inboundTrunk, phone, finishedCallTo } = inboundFixtures(() => database);
  const carrierCall = (scenario: string, fields: string, localAddress = CARRIER) => runSipp({ scenario, target: stack.target, localAddress, fields: [fields] });
  /** A carrier call that must be refused with `expect` and X-Reason `reason` (uac-carrier-refused.xml). */
  const refusedCarrierCall = (expect: string, reason: string, fields: string, localAddress = CARRIER) =>
    runSipp({ scenario: 'uac-carrier-refused.xml', target: stack.target, localAddress, fields: [fields], keys: { expect, reason } });

  /** A new account owning `number`, with one registered phone per scenario (devices named device0, device1, ...). */
  async function numberWithPhones(username: string, number: string, scenarios: readonly string[], phoneTimeoutSeconds?: number) {
    const owner = await caller(username, 0);
    await did(number, owner.accountId);
    const phones: Phone[] = [];
    for (const [index, scenario] of scenarios.entries()) phones.push(await phone(stack.target, owner.fields(`device${index}`), scenario, phoneTimeoutSeconds));
    return { owner, phones };
  }
  /** Every phone's scenario ran to its end: it saw exactly the requests it expects (a CANCEL, a BYE). */
  async function expectEachPassed(phones: readonly Phone[]): Promise<void> {
    for (const [index, { done }] of phones.entries()) {
      const run = await done;
      expect(run.code, `device${index}: ${run.log}`).toBe(0);
    }
  }

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(database, { ...(process.env.CALLS_LOG ? { LOG_LEVEL: 'debug' } : {}) });
    trunkId = await inboundTrunk('carrier-in', [`${CARRIER}/32`]);
  });
  afterAll(async () => {
    await stack?.stop();
    await database?.close();
  });

  it('forks a carrier call to every registration of the DID owner: the first answer wins, the other gets CANCEL', async () => {
    // device0 answers at once; device1 rings until it is cancelled.
    // device0 also checks that the INVITE shows the carrier's calling number.
    const { owner, phones } = await numberWithPhones('olivia', '+14155550140', ['uas-answer-expect-caller-id.xml', 'uas-ring-expect-cancel.xml']);
    const call = await carrierCall('uac-carrier-call-expect-200.xml', '+14155550140;1000');
    expect(call.code, call.log).toBe(0);
    await expectEachPassed(phones);

    const cdr = await finishedCallTo('+14155550140');
    expect(cdr).toMatchObject({
      direction: 'inbound',
      account_id: owner.accountId,
      from_number: '+14155550123',
      phase: 'ended',
      ended_by: 'caller',
      sip_status: 200,
      trunk_id: trunkId,
    });
    expect(cdr.answered_at).not.toBeNull();
    expect(cdr.cost).toBeNull();
  });

  it('uas-answer-then-bye: the phone hangs up an inbound call; the record says the callee ended it', async () => {
    const { phones } = await numberWithPhones('ulrich', '+14155550146', ['uas-answer-then-bye.xml']);
    const call = await carrierCall('uac-carrier-call-expect-bye.xml', '+14155550146');
    expect(call.code, call.log).toBe(0);
    await expectEachPassed(phones);
    expect(await finishedCallTo('+14155550146')).toMatchObject({
      direction: 'inbound',
      phase: 'ended',
      ended_by: 'callee',
      hangup_cause: 'normal',
      trunk_id: trunkId,
    });
  });

  it('uac-carrier-refused 480 offline: the owner has no live registration', async () => {
    const { owner } = await numberWithPhones('pat', '+14155550141', []);
    const call = await refusedCarrierCall('480', 'offline', '+14155550141');
    expect(call.code, call.log).toBe(0);
    expect(await finishedCallTo('+14155550141')).toMatchObject({
      direction: 'inbound',
      account_id: owner.accountId,
      phase: 'refused',
      refusal_reason: 'offline',
    });
  });

  it('uac-carrier-refused 404 unknown-did: a number we do not host', async () => {
    const call = await refusedCarrierCall('404', 'unknown-did', '+14155550142');
    expect(call.code, call.log).toBe(0);
    expect(await finishedCallTo('+14155550142')).toMatchObject({ direction: 'inbound', account_id: null, phase: 'refused', refusal_reason: 'unknown-did' });
  });

  it("uac-carrier-refused 403 source-not-allowed: a call from an address on no trunk's list is refused before any lookup, counted, not recorded", async () => {
    await numberWithPhones('quentin', '+14155550143', []);
    const call = await refusedCarrierCall('403', 'source-not-allowed', '+14155550143', STRANGER);
    expect(call.code, call.log).toBe(0);
    // Refused as from nobody: the number's owner is not looked up (nor told), and no row is written (a flood of
    // these would be a row per packet); the metric counts it.
    expect(await database.db.selectFrom('cdrs').select('id').where('to_number', '=', '+14155550143').execute()).toEqual([]);
    expect(await stack.metrics.registry.getSingleMetricAsString('dialo_call_refusals_total')).toMatch(/reason="source-not-allowed"} [1-9]/);
  });

  it('a flood of INVITEs from an unknown source: refused after lookups SIP_FLOOD_MAX_REFUSALS times, then from memory (source-blocked), with no rows', async () => {
    const refusals = async (reason: string) => {
      const text = await stack.metrics.registry.getSingleMetricAsString('dialo_call_refusals_total');
      return Number(new RegExp(`reason="${reason}"} (\\d+)`).exec(text)?.[1] ?? 0);
    };
    const before = { looked: await refusals('source-not-allowed'), blocked: await refusals('source-blocked') };
    const { maxStrikes: maxRefusals } = stack.config.sip!.flood;
    // One scanner socket: the first maxRefusals INVITEs are looked up and refused, the rest answered from memory.
    const socket = { localAddress: '127.0.0.5', localPort: await freePort() };
    const flood = (calls: number, reason: string) =>
      runSipp({
        scenario: 'uac-carrier-refused.xml',
        target: stack.target,
        ...socket,
        fields: ['+14155550149'],
        calls,
        extraArgs: ['-r', '50'],
        keys: { expect: '403', reason },
      });
    const looked = await flood(maxRefusals, 'source-not-allowed');
    expect(looked.code, looked.log).toBe(0);
    const blocked = await flood(10, 'source-blocked');
    expect(blocked.code, blocked.log).toBe(0);
    expect(await refusals('source-not-allowed')).toBe(before.looked + maxRefusals);
    expect(await refusals('source-blocked')).toBe(before.blocked + 10);
    expect(await database.db.selectFrom('cdrs').select('id').where('to_number', '=', '+14155550149').execute()).toEqual([]);
    // A carrier on its trunk's address is never limited by it.
    const { phones } = await numberWithPhones('flora', '+14155550150', ['uas-answer.xml']);
    const call = await carrierCall('uac-carrier-call-expect-200.xml', '+14155550150');
    expect(call.code, call.log).toBe(0);
    await expectEachPassed(phones);
  });

  it('cancels every ringing phone when the carrier gives up (CANCEL before answer)', async () => {
    const { phones } = await numberWithPhones('rosa', '+14155550144', ['uas-ring-expect-cancel.xml', 'uas-ring-expect-cancel.xml']);
    const call = await carrierCall('uac-carrier-cancel-expect-487.xml', '+14155550144');
    expect(call.code, call.log).toBe(0);
    await expectEachPassed(phones);
    expect(await finishedCallTo('+14155550144')).toMatchObject({ direction: 'inbound', phase: 'cancelled', ended_by: 'caller', answered_at: null });
  });

  it('a CANCEL right behind the INVITE leaves no phone ringing', async () => {
    // The CANCEL usually lands while the app is still looking the number up: then no phone may be rung. (Were the
    // phone rung, it must get CANCEL, which its scenario also accepts.) It waits 5 s for an INVITE.
    const { phones } = await numberWithPhones('xavier', '+14155550148', ['uas-ring-expect-cancel.xml'], 5);
    const call = await carrierCall('uac-carrier-cancel-at-once-expect-487.xml', '+14155550148');
    expect(call.code, call.log).toBe(0);
    const run = await phones[0]!.done;
    expect(run.code === 0 || receivedNoCall(run), `rung and never cancelled: ${run.log}`).toBe(true);
    expect(await finishedCallTo('+14155550148')).toMatchObject({ direction: 'inbound', phase: 'cancelled', ended_by: 'caller', answered_at: null });
  });

  it("connects a registered user to another account's number on-net, free of charge", async () => {
    const alice = await caller('sally', UNIT);
    await did('+14155550149', alice.accountId);
    const { owner, phones } = await numberWithPhones('tom', '+14155550145', ['uas-answer.xml']);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack.target, fields: [alice.fields('+14155550145', 1000)] });
    expect(call.code, call.log).toBe(0);
    await expectEachPassed(phones);

    const cdr = await finishedCallTo('+14155550145');
    expect(cdr).toMatchObject({ direction: 'onnet', phase: 'ended', ended_by: 'caller', sip_status: 200, cost: null });
    // Each party has the call in its own records, showing the caller's number.
    // Each sealed under its own account's key, both opened to the caller's number.
    // The two records close one after the other: the callee's (found above) may be first.
    const stored = await vi.waitFor(
      async () => {
        const rows = await database.db
          .selectFrom('cdrs')
          .select(['account_id', 'direction', 'from_number', 'to_number', 'phase'])
          .where('sip_call_id', '=', cdr.sip_call_id)
          .execute();
        if (rows.length < 2 || rows.some((row) => row.phase !== 'ended')) throw new Error('both records not closed yet');
        return rows;
      },
      { timeout: 5000 },
    );
    expect(stored.map((record) => record.from_number)).not.toContain('+14155550149');
    const records = (await openCallRecords(database.db, TEST_VAULT, stored)).map(({ to_number: _to, ...record }) => record);
    expect(records).toHaveLength(2);
    expect(records).toEqual(
      expect.arrayContaining([
        { account_id: owner.accountId, direction: 'onnet', from_number: '+14155550149', phase: 'ended' },
        { account_id: alice.accountId, direction: 'onnet', from_number: '+14155550149', phase: 'ended' },
      ]),
    );
    const balance = await balanceOf(database.db, alice.accountId);
    expect([balance.balance, balance.available]).toEqual([UNIT, UNIT]);
    const holds = await database.db.selectFrom('reservations').select('id').where('account_id', '=', alice.accountId).execute();
    expect(holds).toEqual([]);
  });

  it("uac-carrier-refused 488 media-unavailable: an owner with only browser tabs cannot take a carrier's RTP without a media server", async () => {
    const owner = await caller('wanda', 0);
    await did('+14155550147', owner.accountId);
    const client = await WsSipClient.connect(`ws://127.0.0.1:${stack.drachtio.wsPort}`);
    try {
      await registerBrowserTab(client, stack.config.sip!, owner.accountId);
      const call = await refusedCarrierCall('488', 'media-unavailable', '+14155550147');
      expect(call.code, call.log).toBe(0);
      expect(await finishedCallTo('+14155550147')).toMatchObject({
        direction: 'inbound',
        account_id: owner.accountId,
        phase: 'refused',
        refusal_reason: 'media-unavailable',
      });
    } finally {
      client.close();
    }
  });
});
