// DTMF sent as SIP INFO during a call, over real drachtio-server: a desk phone (sipp, registered with a static SIP
// credential) and a carrier (sipp behind a trunk) exchange media directly, so the B2BUA relays each INFO as it is.
import { describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('DTMF as SIP INFO over real drachtio-server', () => {
  const suite = useCallStack({}, (db) =>
    createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' })),
  );
  const { caller, carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('a desk phone presses 5 then # as INFO: the carrier receives both INFOs with those digits, in order, and the call ends cleanly', async () => {
    const phone = await caller('desk', 10 * UNIT);
    const peer = await carrier('carrier-dtmf', 'uas-answer-expect-dtmf-info.xml');
    const call = await runSipp({ scenario: 'uac-call-dtmf-info-expect-200.xml', target: suite.stack.target, fields: [phone.fields('+14155550100')] });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await peer.done;
    expect(carrierRun.code, `${carrierRun.log}\n${carrierRun.trace}`).toBe(0);
    expect(carrierRun.trace).toMatch(/INFO Signal=5\s+application\/dtmf-relay[\s\S]*INFO Signal=#\s+application\/dtmf-relay/);
    expect(await finishedCdr(phone.accountId)).toMatchObject({ phase: 'ended', ended_by: 'caller', trunk_id: peer.trunkId, media_server: null });
  });
});
