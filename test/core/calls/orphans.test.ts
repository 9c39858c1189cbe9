// Calls a crashed process left open: closed at start from their last heartbeat, never billed for the outage.
import { expect, it } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { reserve } from '../../../core/billing/reservations.ts';
import { markCallsAlive, openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { markNodeAlive } from '../../../core/calls/nodes.ts';
import { closeSilentNodes, hangUpOwedLegs, recoverOrphans } from '../../../core/calls/orphans.ts';
import { createAccount, createTestRate, credit } from '../../harness/billing.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const UNIT = 1_000_000;
const LIMITS = { maxConcurrent: 10, maxCallSeconds: 3600, setupGraceSeconds: 60 };

describeEachDialect('orphaned calls', (database) => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 10, 29, 12, 0, seconds));

  /** The SIP Call-IDs of a node's records: what its heartbeat names as up. */
  async function callIdsOn(nodeId: string): Promise<string[]> {
    const rows = await database().db.selectFrom('cdrs').select('sip_call_id').where('node_id', '=', nodeId).execute();
    return rows.map((row) => row.sip_call_id);
  }

  async function answeredCall(nodeId: string, accountId: string, answeredAt: Date) {
    const { db } = database();
    const cdrId = await openCdr(db, TEST_VAULT, {
      sipCallId: `orphan-${Math.random()}`,
      direction: 'outbound',
      accountId,
      fromNumber: null,
      toNumber: '+442079460958',
      nodeId,
    });
    await recordCdrState(db, cdrId, { phase: 'answered', target: 'trunk', answeredAt });
    return cdrId;
  }

  it('bills an answered call to its last heartbeat, not to the restart, and releases a ringing one', async () => {
    const { db } = database();
    const node = `node-${Math.random()}`;
    // 0.60 a minute by the second: 10,000 micros a second.
    const rate = await createTestRate(db, { pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1 });
    const talker = await createAccount(db);
    const ringer = await createAccount(db);
    await credit(db, talker, 10 * UNIT);
    await credit(db, ringer, 10 * UNIT);

    const talking = await answeredCall(node, talker, at(0));
    await db.updateTable('cdrs').set({ caller_dialog: 'dlg-caller', callee_dialog: 'dlg-callee' }).where('id', '=', talking).execute();
    await reserve(db, talker, rate, LIMITS, { cdrId: talking });
    const ringing = await openCdr(db, TEST_VAULT, {
      sipCallId: 'ringing',
      direction: 'outbound',
      accountId: ringer,
      fromNumber: null,
      toNumber: '+442079460959',
      nodeId: node,
    });
    await reserve(db, ringer, rate, LIMITS, { cdrId: ringing });
    // Another node's call is none of this restart's business.
    const elsewhere = await answeredCall(`${node}-other`, talker, at(0));

    // Heartbeats at 15 s and 30 s; the process dies; it restarts ten minutes later.
    expect(await markCallsAlive(db, node, at(15), await callIdsOn(node))).toBe(1);
    expect(await markCallsAlive(db, node, at(30), await callIdsOn(node))).toBe(1);
    const hungUp: string[] = [];
    const endLeg = async (dialogId: string) => hungUp.push(dialogId);
    expect(await recoverOrphans(db, node, at(630), endLeg)).toEqual({ closed: 2, legs: 2, failures: [] });
    // Both legs of the answered call, which drachtio-server may still be carrying, get a BYE.
    expect(hungUp.sort()).toEqual(['dlg-callee', 'dlg-caller']);
    // They served their purpose: not kept.
    expect(await db.selectFrom('cdrs').select(['caller_dialog', 'callee_dialog']).where('id', '=', talking).executeTakeFirstOrThrow()).toEqual({
      caller_dialog: null,
      callee_dialog: null,
    });

    const talked = await db.selectFrom('cdrs').selectAll().where('id', '=', talking).executeTakeFirstOrThrow();
    expect(talked).toMatchObject({
      phase: 'ended',
      ended_by: 'system',
      hangup_cause: 'orphaned-by-restart',
      ended_at: at(30),
      billable_seconds: 30,
      cost: 30 * 10_000,
    });
    expect(await balanceOf(db, talker)).toEqual({ balance: 10 * UNIT - 300_000, reserved: 0, available: 10 * UNIT - 300_000 });

    const rang = await db.selectFrom('cdrs').selectAll().where('id', '=', ringing).executeTakeFirstOrThrow();
    expect(rang).toMatchObject({
      phase: 'failed',
      ended_at: at(630),
      ended_by: 'system',
      hangup_cause: 'orphaned-by-restart',
      sip_status: null,
      billable_seconds: null,
    });
    expect(await balanceOf(db, ringer)).toEqual({ balance: 10 * UNIT, reserved: 0, available: 10 * UNIT });

    expect(await db.selectFrom('cdrs').select(['phase', 'ended_at']).where('id', '=', elsewhere).executeTakeFirstOrThrow()).toEqual({
      phase: 'answered',
      ended_at: null,
    });
  });

  it('bills nothing for a call that died before its first heartbeat', async () => {
    const { db } = database();
    const node = `node-${Math.random()}`;
    const accountId = await createAccount(db);
    const cdrId = await answeredCall(node, accountId, at(0));
    await recoverOrphans(db, node, at(300));
    expect(await db.selectFrom('cdrs').select(['phase', 'ended_at']).where('id', '=', cdrId).executeTakeFirstOrThrow()).toEqual({
      phase: 'ended',
      ended_at: at(0),
    });
  });

  it('marks only answered calls that are still up', async () => {
    const { db } = database();
    const node = `node-${Math.random()}`;
    const accountId = await createAccount(db);
    const up = await answeredCall(node, accountId, at(0));
    const over = await answeredCall(node, accountId, at(0));
    await recordCdrState(db, over, { phase: 'ended', target: 'trunk', answeredAt: at(0), endedAt: at(5), by: 'caller', cause: 'normal' });
    await openCdr(db, TEST_VAULT, { sipCallId: 'setup', direction: 'outbound', accountId, fromNumber: null, toNumber: null, nodeId: node });
    expect(await markCallsAlive(db, node, at(20), await callIdsOn(node))).toBe(1);
    expect((await db.selectFrom('cdrs').select('alive_at').where('id', '=', up).executeTakeFirstOrThrow()).alive_at).toEqual(at(20));
    // Only the calls the node names: one whose end failed to be recorded is no longer among its bridges.
    const [upCallId] = (await db.selectFrom('cdrs').select('sip_call_id').where('id', '=', up).execute()).map((row) => row.sip_call_id);
    const stuck = await answeredCall(node, accountId, at(0));
    expect(await markCallsAlive(db, node, at(25), [upCallId!])).toBe(1);
    expect((await db.selectFrom('cdrs').select('alive_at').where('id', '=', stuck).executeTakeFirstOrThrow()).alive_at).toEqual(at(0));
  });

  it('closes the calls of a node silent past the bound (another node does, or the jobs role), leaving live nodes be', async () => {
    const { db } = database();
    const [silent, live, self] = [`silent-${Math.random()}`, `live-${Math.random()}`, `self-${Math.random()}`];
    // Calls the tests above left open (on nodes with no heartbeat row) would count as silent too.
    await db
      .updateTable('cdrs')
      .set({ ended_at: at(0), caller_dialog: null, callee_dialog: null })
      .where('ended_at', 'is', null)
      .execute();
    const rate = await createTestRate(db, { pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1 });
    const talker = await createAccount(db);
    await credit(db, talker, 10 * UNIT);
    const talking = await answeredCall(silent, talker, at(0));
    await db.updateTable('cdrs').set({ caller_dialog: 'dlg-a', callee_dialog: 'dlg-b' }).where('id', '=', talking).execute();
    await reserve(db, talker, rate, LIMITS, { cdrId: talking });
    const living = await answeredCall(live, talker, at(0));
    // The silent node's last heartbeat (of itself and its call) at 20 s; the live one keeps beating.
    await markNodeAlive(db, { nodeId: silent, instance: 'i-silent' }, at(20));
    await markCallsAlive(db, silent, at(20), await callIdsOn(silent));
    await markNodeAlive(db, { nodeId: live, instance: 'i-live' }, at(75));

    // 59 s of silence is within the 60 s bound: nothing happens.
    expect(await closeSilentNodes(db, at(79), 60_000, { self })).toMatchObject({ nodes: [], closed: 0 });
    // Past it, the jobs role (no drachtio connection) closes and bills; the legs stay owed their BYE.
    expect(await closeSilentNodes(db, at(81), 60_000, { self })).toEqual({ nodes: [silent], closed: 1, legs: 0, failures: [] });
    expect(await db.selectFrom('cdrs').selectAll().where('id', '=', talking).executeTakeFirstOrThrow()).toMatchObject({
      phase: 'ended',
      ended_at: at(20),
      billable_seconds: 20,
      cost: 20 * 10_000,
      caller_dialog: 'dlg-a',
      callee_dialog: 'dlg-b',
    });
    expect(await balanceOf(db, talker)).toEqual({ balance: 10 * UNIT - 200_000, reserved: 0, available: 10 * UNIT - 200_000 });
    expect((await db.selectFrom('cdrs').select('phase').where('id', '=', living).executeTakeFirstOrThrow()).phase).toBe('answered');

    // A signaling node then sends what is owed, once: the node counts as silent only while it still owes something.
    const hungUp: string[] = [];
    const endLeg = async (dialogId: string) => void hungUp.push(dialogId);
    expect(await closeSilentNodes(db, at(85), 60_000, { self, endLeg })).toEqual({ nodes: [silent], closed: 0, legs: 2, failures: [] });
    expect(hungUp.sort()).toEqual(['dlg-a', 'dlg-b']);
    expect(await closeSilentNodes(db, at(90), 60_000, { self, endLeg })).toMatchObject({ nodes: [], legs: 0 });
  });

  it('keeps the handles of a call ended by a lost drachtio connection until the owed BYE is sent; a normal end keeps none', async () => {
    const { db } = database();
    const node = `node-${Math.random()}`;
    const accountId = await createAccount(db);
    const lost = await answeredCall(node, accountId, at(0));
    const normal = await answeredCall(node, accountId, at(0));
    for (const id of [lost, normal])
      await db
        .updateTable('cdrs')
        .set({ caller_dialog: `${id}-a`, callee_dialog: `${id}-b` })
        .where('id', '=', id)
        .execute();
    await recordCdrState(db, lost, { phase: 'ended', target: 'trunk', answeredAt: at(0), endedAt: at(9), by: 'system', cause: 'signaling-lost' });
    await recordCdrState(db, normal, { phase: 'ended', target: 'trunk', answeredAt: at(0), endedAt: at(9), by: 'caller', cause: 'normal' });
    const failing = async (dialogId: string) => {
      if (dialogId.endsWith('-b')) throw new Error('481 no such dialog');
    };
    expect(await hangUpOwedLegs(db, [node], failing)).toEqual({ legs: 2, failures: ['481 no such dialog'] });
    // Tried once either way: a dialog drachtio-server no longer knows will not come back.
    expect(await hangUpOwedLegs(db, [node], failing)).toEqual({ legs: 0, failures: [] });
  });

  it('tells a process when another one writes heartbeats under its node id', async () => {
    const { db } = database();
    const nodeId = `twin-${Math.random()}`;
    expect(await markNodeAlive(db, { nodeId, instance: 'first' }, at(0))).toEqual({ shared: false });
    // A restart after a crash takes over the name: the dead process writes no more.
    expect(await markNodeAlive(db, { nodeId, instance: 'second' }, at(10))).toEqual({ shared: false });
    expect(await markNodeAlive(db, { nodeId, instance: 'second' }, at(20), at(10))).toEqual({ shared: false });
    // Two running at once: each finds the other's write since its own.
    expect(await markNodeAlive(db, { nodeId, instance: 'third' }, at(25))).toEqual({ shared: false });
    expect(await markNodeAlive(db, { nodeId, instance: 'second' }, at(30), at(20))).toEqual({ shared: true });
  });
});
