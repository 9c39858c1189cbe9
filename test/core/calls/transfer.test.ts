// A blind transfer's rules (core/calls/transfer.ts): what a Refer-To asks, who may transfer and pays, and where the new
// leg goes and how it is held and recorded, on both dialects, without SIP.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { blockPrefix } from '../../../core/abuse/blocked-prefixes.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { settle } from '../../../core/billing/reservations.ts';
import { nextState } from '../../../core/calls/call-state.ts';
import { openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { closeFaultedRecords } from '../../../core/calls/orphans.ts';
import { Directory } from '../../../core/calls/directory.ts';
import { accountPorts, holdCredit, type RoutePorts } from '../../../core/calls/route.ts';
import {
  joinedCallPayment,
  namesDialog,
  readReferTo,
  routeTransfer,
  transferLegRecords,
  transferorOf,
  transferTarget,
  TRANSFERRED_CAUSE,
} from '../../../core/calls/transfer.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { createAccount, credit } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const UNIT = 1_000_000;

describe('reading a Refer-To', () => {
  it.each([
    ['<sip:+14155550100@dialo.example>', '+14155550100'],
    ['sip:+14155550100@dialo.example', '+14155550100'],
    ['"Bob" <sip:%2B14155550100@dialo.example;user=phone>', '+14155550100'],
    ['<tel:+1-415-555-0100>', '+14155550100'],
    ['<sips:alice@dialo.example>;x=1', 'alice'],
  ])('%s is a blind transfer to %s', (header, dialled) => {
    expect(readReferTo(header)).toEqual({ kind: 'blind', dialled });
  });

  it("reads an attended transfer's Replaces (as SIP.js escapes it), whatever its case or other parameters", () => {
    expect(readReferTo('"Bob" <sip:bob@10.0.0.1:5060;transport=ws?Replaces=abc%2B1%40h%3Bto-tag%3Dt1%3Bfrom-tag%3Df2>')).toEqual({
      kind: 'attended',
      replaces: { callId: 'abc+1@h', toTag: 't1', fromTag: 'f2' },
    });
    expect(readReferTo('<sip:bob@h?X-A=1&replaces=abc%3Bfrom-tag%3Df2%3Bearly-only%3Bto-tag%3Dt1>')).toEqual({
      kind: 'attended',
      replaces: { callId: 'abc', toTag: 't1', fromTag: 'f2' },
    });
  });

  it('refuses a Replaces without both tags, and anything not a SIP or tel URI, as malformed', () => {
    for (const header of [
      undefined,
      '',
      '<mailto:bob@example.org>',
      'http://example.org',
      '<sip:%zz@dialo.example>',
      '<sip:bob@h?Replaces=abc%3Bto-tag%3Dt1>',
      '<sip:bob@h?Replaces=%3Bto-tag%3Dt1%3Bfrom-tag%3Df2>',
    ]) {
      expect(readReferTo(header)).toMatchObject({ kind: 'refused', reason: 'bad-refer-to' });
    }
  });
});

describe('who transfers and pays', () => {
  it('is the user who sent REFER, named by their own record of the call; a carrier cannot transfer', () => {
    expect(transferorOf({ accountId: 'alice', recordId: 'cdr-1', number: '+14155550170' })).toEqual({ ok: true, payer: 'alice', transferredFrom: 'cdr-1' });
    expect(transferorOf({ accountId: null, recordId: null, number: '+14155550123' })).toMatchObject({ ok: false, reason: 'transfer-not-allowed' });
  });

  it('sends no party to the echo test, and keeps any other refusal as routing gave it', () => {
    expect(transferTarget({ kind: 'echo', number: '*43' })).toMatchObject({ kind: 'refused', refusal: { reason: 'destination-not-allowed' } });
    expect(transferTarget({ kind: 'refused', refusal: { reason: 'no-rate' } })).toEqual({ kind: 'refused', refusal: { reason: 'no-rate' } });
  });
});

describe('an attended transfer: the call Replaces names, and who pays for the joined call', () => {
  const replaces = { callId: 'c2@tab', toTag: 'ours', fromTag: 'theirs' };

  it('names our dialog with the transferor only as the transferor sees it: its to-tag is ours', () => {
    expect(namesDialog(replaces, { callId: 'c2@tab', localTag: 'ours', remoteTag: 'theirs' })).toBe(true);
    expect(namesDialog(replaces, { callId: 'c2@tab', localTag: 'theirs', remoteTag: 'ours' })).toBe(false);
    expect(namesDialog(replaces, { callId: 'c3@tab', localTag: 'ours', remoteTag: 'theirs' })).toBe(false);
  });

  it('is free between two users of ours, rated at the carrier party number otherwise, and refused when that number is unknown', () => {
    const bob = { accountId: 'bob', recordId: 'cdr-b', number: '+14155550171' };
    const carrier = { accountId: null, recordId: null, number: '+14155550123' };
    expect(joinedCallPayment(bob, { ...bob, accountId: 'carol' })).toEqual({ kind: 'on-net' });
    expect(joinedCallPayment(carrier, bob)).toEqual({ kind: 'carrier', number: '+14155550123' });
    expect(joinedCallPayment(bob, { ...carrier, number: '+442079460958' })).toEqual({ kind: 'carrier', number: '+442079460958' });
    expect(joinedCallPayment({ ...carrier, number: null }, bob)).toMatchObject({ kind: 'refused', refusal: { reason: 'no-rate' } });
  });
});

describeEachDialect('routing, holding and recording a transfer', (database) => {
  const config = loadConfig({ ABUSE_ALLOWED_COUNTRIES: 'US,GB', ABUSE_NEW_ACCOUNT_DAYS: '0', ABUSE_CALLS_PER_MINUTE: '0' });
  const POLICY = { abuse: config.abuse, reservationLimits: { maxConcurrent: 10, maxCallSeconds: 3600, setupGraceSeconds: 60 } };
  const UK = '+442079460958';
  const facts = (dialled: string) => ({ dialled, defaultCountry: 'US', echoTestNumber: '*43' });

  /** The payer's ports, as signaling/call/transfer.ts builds them: the attempt's record is the payer's, linked. */
  function payerPorts(payer: string, transferredFrom: string): { ports: RoutePorts; records: string[] } {
    const { db } = database();
    const records: string[] = [];
    const ports: RoutePorts = {
      ...accountPorts(new Directory(db, { pollMs: 1000 }), db, payer, POLICY),
      recordAttempt: async (number) =>
        void records.push(
          await openCdr(db, TEST_VAULT, {
            sipCallId: randomUUID(),
            direction: 'outbound',
            accountId: payer,
            fromNumber: null,
            toNumber: number,
            nodeId: 'transfer-test',
            transferredFrom,
          }),
        ),
    };
    return { ports, records };
  }

  /** The payer's answered record of an inbound call: what a transfer names in transferred_from. */
  async function answeredInbound(accountId: string) {
    const { db } = database();
    const id = await openCdr(db, TEST_VAULT, {
      sipCallId: randomUUID(),
      direction: 'inbound',
      accountId,
      fromNumber: null,
      toNumber: null,
      nodeId: 'transfer-test',
    });
    const answered = nextState(nextState({ phase: 'setup' }, { type: 'dial', target: 'browser' }), { type: 'answer', at: new Date(Date.now() - 30_000) });
    await recordCdrState(db, id, answered);
    return { id, answered };
  }

  it('ends the original record at the transfer with cause transferred, billed to that moment like any end', async () => {
    const { db } = database();
    const alice = await createAccount(db);
    const { id, answered } = await answeredInbound(alice);
    const at = new Date();
    await recordCdrState(db, id, nextState(answered, { type: 'hangup', by: 'callee', at, cause: TRANSFERRED_CAUSE }));
    const row = await db.selectFrom('cdrs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ phase: 'ended', ended_by: 'callee', hangup_cause: 'transferred', transferred_from: null });
    expect(row.ended_at!.getTime()).toBe(at.getTime());
  });

  it("routes a carrier target by the payer's own rules: a blocked prefix is refused, the attempt on record and linked", async () => {
    const { db } = database();
    const operator = await createAccount(db, 'operator');
    await blockPrefix(db, { prefix: '4420794609', reason: 'fraud range' }, operator);
    const alice = await createAccount(db);
    const original = await answeredInbound(alice);
    const { ports, records } = payerPorts(alice, original.id);
    expect(await routeTransfer(ports, facts(UK))).toMatchObject({ kind: 'refused', refusal: { reason: 'destination-blocked' } });
    expect(records).toHaveLength(1);
    const attempt = await db.selectFrom('cdrs').select(['account_id', 'transferred_from']).where('id', '=', records[0]!).executeTakeFirstOrThrow();
    expect(attempt).toEqual({ account_id: alice, transferred_from: original.id });
    await db.deleteFrom('blocked_prefixes').where('prefix', '=', '4420794609').execute();
  });

  it("holds the new leg's credit on the payer's account at the payer's rate: none is 402 no-credit; the settle charges the payer alone", async () => {
    const { db } = database();
    await createRate(db, toRateInput({ prefix: '44', effectiveFrom: '2000-01-01T00:00:00Z', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60 }));
    await db.insertInto('trunks').values({ name: 'uk', priority: 1, outbound_uri: 'sip:uk.example.net' }).execute();
    const broke = await createAccount(db);
    const brokeCall = payerPorts(broke, (await answeredInbound(broke)).id);
    const brokeTarget = await routeTransfer(brokeCall.ports, facts(UK));
    if (brokeTarget.kind !== 'trunks') throw new Error(`not routed to the trunks: ${brokeTarget.kind}`);
    expect(await holdCredit(db, broke, POLICY, brokeTarget, brokeCall.records[0]!)).toEqual({ ok: false, refusal: { reason: 'no-credit' } });

    const alice = await createAccount(db);
    await credit(db, alice, 10 * UNIT);
    const { ports, records } = payerPorts(alice, (await answeredInbound(alice)).id);
    const target = await routeTransfer(ports, facts(UK));
    if (target.kind !== 'trunks') throw new Error(`not routed to the trunks: ${target.kind}`);
    expect(transferLegRecords(target)).toEqual({ direction: 'outbound', targetAccountId: null });
    const held = await holdCredit(db, alice, POLICY, target, records[0]!);
    if (!held.ok) throw new Error(`not held: ${held.refusal.reason}`);
    const reservation = await db
      .selectFrom('reservations')
      .select(['account_id', 'cdr_id'])
      .where('id', '=', held.held.reservationId)
      .executeTakeFirstOrThrow();
    expect(reservation).toEqual({ account_id: alice, cdr_id: records[0] });
    expect(await settle(db, held.held.reservationId, 61)).toBe(1.2 * UNIT);
    const charges = await db
      .selectFrom('ledger_entries')
      .select(['account_id', 'amount'])
      .where('kind', '=', 'call_charge')
      .where('reference', '=', held.held.reservationId)
      .execute();
    expect(charges.map((entry) => ({ ...entry, amount: Number(entry.amount) }))).toEqual([{ account_id: alice, amount: -1.2 * UNIT }]);
  });

  it("closes a failed transfer's records alone after an internal error, its hold released; the call it came from stays open", async () => {
    const { db } = database();
    await createRate(db, toRateInput({ prefix: '4420', effectiveFrom: '2000-01-01T00:00:00Z', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60 }));
    await db.insertInto('trunks').values({ name: 'uk-fault', priority: 1, outbound_uri: 'sip:uk.example.net' }).execute();
    const alice = await createAccount(db);
    await credit(db, alice, 10 * UNIT);
    const original = await answeredInbound(alice);
    const { ports, records } = payerPorts(alice, original.id);
    const target = await routeTransfer(ports, facts(UK));
    if (target.kind !== 'trunks') throw new Error(`not routed to the trunks: ${target.kind}`);
    const held = await holdCredit(db, alice, POLICY, target, records[0]!);
    expect(held.ok).toBe(true);
    expect(await closeFaultedRecords(db, 'transfer-test', { cdrIds: records }, new Date())).toBe(1);
    const rows = await db.selectFrom('cdrs').select(['id', 'phase', 'hangup_cause']).where('id', 'in', [original.id, records[0]!]).execute();
    expect(rows.find((row) => row.id === records[0])).toMatchObject({ phase: 'failed' });
    expect(rows.find((row) => row.id === original.id)).toMatchObject({ phase: 'answered' });
    const holds = await db.selectFrom('reservations').select('status').where('cdr_id', '=', records[0]!).execute();
    expect(holds).toEqual([{ status: 'released' }]);
  });

  it('sends a target we host on-net, free, before any rule or rate: the target user gets a record too', async () => {
    const { db } = database();
    const alice = await createAccount(db);
    const bob = await createAccount(db);
    await db.insertInto('dids').values({ e164: '+14155550190', account_id: bob }).execute();
    const { ports, records } = payerPorts(alice, (await answeredInbound(alice)).id);
    const target = await routeTransfer(ports, facts('+14155550190'));
    expect(target).toEqual({ kind: 'on-net', number: '+14155550190', calleeAccountId: bob });
    if (target.kind !== 'on-net') throw new Error('not on-net');
    expect(transferLegRecords(target)).toEqual({ direction: 'onnet', targetAccountId: bob });
    // No attempt is recorded by routing: the flow opens both on-net records itself.
    expect(records).toEqual([]);
  });
});
