// Calls at the edges, through real drachtio-server with sipp as caller and carrier: a carrier that challenges our
// INVITE for its trunk credentials, and many calls at once against credit for only a few.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ha1 } from '../../../core/accounts/sip-credentials.ts';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import type { Database } from '../../../db/schema.ts';
import type { Kysely } from 'kysely';
import { digestResponseMatches, parseDigestCredentials } from '../../../signaling/auth/digest.ts';
import { callFixtures, OPEN_ABUSE_LIMITS, refreshOf, UNIT } from '../../harness/calls.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { describeEachDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;
const debugLog: Record<string, string> = process.env.CALLS_LOG ? { LOG_LEVEL: 'debug' } : {};

/** 0.60 a minute in whole minutes to +1415. */
async function usRate(db: Kysely<Database>): Promise<void> {
  await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
}

/** A signaling stack for one describe block, with the US rate, as accessors. */
function useStack(env: Record<string, string>): { database: () => TestDatabase; stack: () => SignalingStack } {
  const suite = useCallStack({ ...env, ...debugLog }, usRate);
  return { database: () => suite.database, stack: () => suite.stack };
}

/** The account's call records once none is open any more (an answered call settles after its last BYE). */
function closedCdrs(db: Kysely<Database>, accountId: string) {
  return vi.waitFor(
    async () => {
      const rows = await db.selectFrom('cdrs').selectAll().where('account_id', '=', accountId).orderBy('started_at').execute();
      if (rows.some((cdr) => cdr.ended_at === null)) throw new Error('calls not closed yet');
      return rows;
    },
    { timeout: 5000 },
  );
}

describe.skipIf(missing)("the trunk's digest challenge, over real drachtio-server", () => {
  const { database, stack } = useStack({ TRUNK_TIMEOUT_SECONDS: '3' });
  afterEach(async () => {
    await database().db.deleteFrom('trunks').execute();
    await stack().signaling.refreshCaches();
  });

  const { caller, carrier, finishedCdr } = callFixtures(database, refreshOf(stack));
  const trunkCredentials = { username: 'trunkuser', password: 'trunkpass' };

  it.each([
    ['uas-challenge-407-expect-proxy-authorization.xml', 'proxy-authorization', 'carol'],
    ['uas-challenge-401-expect-authorization.xml', 'authorization', 'chuck'],
  ])('%s: the re-INVITE answers with the trunk credentials, the call is billed', async (scenario, header, name) => {
    const who = await caller(name, 10 * UNIT);
    const peer = await carrier(`carrier-${name}`, scenario, { auth: trunkCredentials });
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: stack().target, fields: [who.fields('+14155550102', 500)] });
    const carrierRun = await peer.done;
    expect(carrierRun.code, `${carrierRun.log}\n--- drachtio ---\n${stack().drachtio.output().slice(-3000)}`).toBe(0);
    expect(call.code, call.log).toBe(0);

    // RFC 3261 §22.2: the retried INVITE is a new transaction on the same Call-ID with CSeq one higher.
    const cseqs = /challenge-cseq: (\d+) answer-cseq: (\d+)/.exec(carrierRun.trace);
    expect(cseqs, carrierRun.trace).not.toBeNull();
    expect(Number(cseqs![2])).toBe(Number(cseqs![1]) + 1);
    // The digest itself, checked with the trunk's password (sipp can verify only the Authorization header).
    const sent = new RegExp(`${header}: (Digest .*)`).exec(carrierRun.trace)?.[1];
    expect(sent, carrierRun.trace).toBeDefined();
    const credentials = parseDigestCredentials(sent!);
    expect(credentials).toMatchObject({
      username: 'trunkuser',
      realm: 'carrier.test',
      nonce: '3bada1a0c0ffee',
      uri: 'sip:+14155550102@127.0.0.1:' + peer.port,
    });
    expect(digestResponseMatches(credentials, 'INVITE', ha1('MD5', 'trunkuser', 'carrier.test', 'trunkpass'))).toBe(true);
    expect(digestResponseMatches(credentials, 'INVITE', ha1('MD5', 'trunkuser', 'carrier.test', 'wrong'))).toBe(false);

    expect(await finishedCdr(who.accountId)).toMatchObject({ phase: 'ended', sip_status: 200, trunk_id: peer.trunkId, cost: 0.6 * UNIT });
  });
});

describe.skipIf(missing)('a caller hanging up at once, over real drachtio-server', () => {
  // Holds of one minute (0.60), so five calls fit in the credit even if one leaked its hold.
  const { database, stack } = useStack({ BILLING_MAX_CALL_SECONDS: '60' });
  const { caller, carrier } = callFixtures(database, refreshOf(stack));

  // The BYE follows the ACK within a millisecond: it reaches the app while the answer is being recorded.
  it('uac-call-expect-200 with no talk time: the BYE right after the ACK ends both legs and settles', async () => {
    const quick = await caller('quinn', 10 * UNIT);
    const peer = await carrier('carrier-a', 'uas-answer.xml', { calls: 5 });
    const call = await runSipp({
      scenario: 'uac-call-expect-200.xml',
      target: stack().target,
      fields: Array.from({ length: 5 }, () => quick.fields('+14155550120', 0)),
      calls: 5,
      extraArgs: ['-r', '1'],
    });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await peer.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    const cdrs = await closedCdrs(database().db, quick.accountId);
    expect(cdrs.map((cdr) => [cdr.phase, cdr.ended_by, cdr.cost])).toEqual(Array.from({ length: 5 }, () => ['ended', 'caller', 0.6 * UNIT]));
    expect(await balanceOf(database().db, quick.accountId)).toEqual({ balance: 7 * UNIT, reserved: 0, available: 7 * UNIT });
  });
});

describeEachDialect('20 calls at once against credit for 2, over real drachtio-server', (database) => {
  let stack: SignalingStack | undefined;

  beforeAll(async () => {
    if (missing) return;
    // Every call may last at most 60 s: at 0.60 a minute each hold is 0.60, so 1.50 of credit holds two calls.
    // Only credit may limit this race: the abuse rules' rate and concurrency limits are opened wide.
    stack = await startSignalingStack(database(), {
      BILLING_MAX_CALL_SECONDS: '60',
      BILLING_MAX_CONCURRENT_CALLS: '100',
      TRUNK_TIMEOUT_SECONDS: '5',
      ...OPEN_ABUSE_LIMITS,
      ...debugLog,
    });
    await usRate(database().db);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const { caller, carrier } = callFixtures(
    database,
    refreshOf(() => stack),
  );

  it.skipIf(missing)('exactly 2 are answered, 18 refused 402 no-credit with records, and the balance never goes negative', async () => {
    const { db } = database();
    const zoe = await caller('zoe', 1.5 * UNIT);
    const peer = await carrier('carrier-hold', 'uas-answer.xml', { calls: 2, timeoutSeconds: 30 });
    // All 20 INVITEs within a few ms; the answered ones talk for 3 s, long after the refusals are done.
    const calls = await runSipp({
      scenario: 'uac-call-concurrent-expect-200-or-402.xml',
      target: stack!.target,
      fields: Array.from({ length: 20 }, () => zoe.fields('+14155550110', 3000)),
      calls: 20,
      timeoutSeconds: 30,
      extraArgs: ['-r', '1000', '-l', '20', '-trace_logs'],
    });
    expect(calls.code, calls.log).toBe(0);
    expect((await peer.done).code).toBe(0);
    expect(calls.trace.match(/outcome: answered/g)).toHaveLength(2);
    expect(calls.trace.match(/outcome: refused no-credit/g)).toHaveLength(18);

    const cdrs = await closedCdrs(db, zoe.accountId);
    expect(cdrs).toHaveLength(20);
    const answered = cdrs.filter((cdr) => cdr.answered_at !== null);
    expect(answered).toHaveLength(2);
    for (const cdr of answered) expect(cdr).toMatchObject({ phase: 'ended', sip_status: 200, trunk_id: peer.trunkId, cost: 0.6 * UNIT });
    expect(cdrs.filter((cdr) => cdr.phase === 'refused' && cdr.refusal_reason === 'no-credit')).toHaveLength(18);

    const reservations = await db.selectFrom('reservations').select(['status', 'hold', 'charged']).where('account_id', '=', zoe.accountId).execute();
    expect(reservations.map((r) => r.status)).toEqual(['settled', 'settled']);
    const balance = await balanceOf(db, zoe.accountId);
    expect(balance).toEqual({ balance: 0.3 * UNIT, reserved: 0, available: 0.3 * UNIT });
    expect(await balanceMismatches(db)).toEqual([]);
  });
});
