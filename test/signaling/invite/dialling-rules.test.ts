// A trunk's dialling rules as its carrier sees them, through real drachtio-server: sipp as the caller (a registered
// SIP phone) and as the carrier, which checks the Request-URI, To, From, P-Asserted-Identity, Privacy and the offer's
// codec order (test/sipp/uas-answer-expect-dial-string.xml) and fails the call otherwise.
import { describe, expect, it } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import type { DiallingRules } from '../../../core/calls/dial-string.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, expectingDialString as expecting, refreshOf, UNIT, type SeenDialString as Seen } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { derivedScenario, runSipp, sippBinary } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('trunk dialling rules over real drachtio-server', () => {
  // The caller ID is CALLER_ID_DEFAULT, +14155550199 (call-stack.ts): the callers here host no number.
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '5' }, async (db) => {
    await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
    await createRate(db, toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }));
  });
  const { caller, carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  /** A call from a new caller to `dialled` through one trunk with `rules`, the carrier checking `seen`. */
  async function callThrough(name: string, dialled: string, rules: Partial<DiallingRules>, seen: Seen, callerScenario = 'uac-call-expect-200.xml') {
    const who = await caller(name, 10 * UNIT);
    const peer = await carrier(`carrier-${name}`, await expecting(seen));
    await suite.database.db
      .updateTable('trunks')
      .set({ ...rules, codec_order: rules.codec_order === undefined || rules.codec_order === null ? null : [...rules.codec_order] })
      .where('id', '=', peer.trunkId)
      .execute();
    await suite.stack.signaling.refreshCaches();
    const call = await runSipp({ scenario: callerScenario, target: suite.stack.target, fields: [who.fields(dialled, 300)] });
    const carried = await peer.done;
    expect(carried.code, `${carried.log}\n${carried.trace}`).toBe(0);
    expect(call.code, call.log).toBe(0);
    expect(await finishedCdr(who.accountId)).toMatchObject({ phase: 'ended', trunk_id: peer.trunkId, sip_status: 200 });
    return carried;
  }

  // The US number and caller, as each rule writes them.
  const US = { ruri: '^INVITE sip:\\+14155550100@', to: 'To: .sip:\\+14155550100@', from: 'From: .sip:\\+14155550199@' };
  const PAI = 'P-Asserted-Identity: .sip:\\+14155550199@';

  it.each<[string, string, string, Partial<DiallingRules>, Seen]>([
    [
      'e164 (the default): +14155550100 in the Request-URI and To, the caller in From, no PAI or Privacy',
      'nina',
      '+14155550100',
      {},
      { ...US, absent: 'P-Asserted-Identity|Privacy:' },
    ],
    [
      'e164-no-plus: 14155550100, the caller ID written the same way',
      'omar',
      '+14155550100',
      { number_format: 'e164-no-plus' },
      { ruri: '^INVITE sip:14155550100@', to: 'To: .sip:14155550100@', from: 'From: .sip:14155550199@' },
    ],
    [
      'national with a tech prefix: a UK number as 0199 then 02079460958, the US caller as 4155550199',
      'pia',
      '+442079460958',
      { number_format: 'national', tech_prefix: '0199' },
      { ruri: '^INVITE sip:019902079460958@', to: 'To: .sip:019902079460958@', from: 'From: .sip:4155550199@' },
    ],
    [
      'pai: the caller in P-Asserted-Identity as well as From, no Privacy',
      'quin',
      '+14155550100',
      { caller_id_header: 'pai' },
      { ...US, pai: PAI, absent: 'Privacy:' },
    ],
    [
      'withheld: From anonymous, Privacy: id, the number only in P-Asserted-Identity',
      'rosa',
      '+14155550100',
      { caller_id_header: 'pai', caller_id_withheld: true },
      { ...US, from: 'From: "Anonymous" <sip:anonymous@anonymous\\.invalid>', pai: PAI, privacy: 'Privacy: id', absent: 'From: [^\\r\\n]*4155550199' },
    ],
  ])('%s', async (_title, name, dialled, rules, seen) => {
    await callThrough(name, dialled, rules, seen);
  });

  it('codec order: a caller offering PCMU, PCMA, telephone-event reaches a PCMA-first carrier as 8 0 101', async () => {
    const offering = await derivedScenario('uac-call-expect-200.xml', (xml) =>
      xml.replaceAll(
        'm=audio [media_port] RTP/AVP 0\n      a=rtpmap:0 PCMU/8000',
        'm=audio [media_port] RTP/AVP 0 8 101\n      a=rtpmap:0 PCMU/8000\n      a=rtpmap:8 PCMA/8000\n      a=rtpmap:101 telephone-event/8000',
      ),
    );
    await callThrough('sami', '+14155550100', { codec_order: ['PCMA', 'PCMU'] }, { ...US, codecs: 'm=audio [0-9]+ RTP/AVP 8 0 101' }, offering);
  });
  it('the carrier scenario exits non-zero when the INVITE is not what it expects (its checks can fail)', async () => {
    const tom = await caller('tom', 10 * UNIT);
    const peer = await carrier('carrier-tom', await expecting({ ruri: '^INVITE sip:14155550100@', to: '.', from: '.' }));
    // sipp marks the call failed and goes on with the scenario: the caller is answered all the same.
    await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [tom.fields('+14155550100', 300)] });
    const carried = await peer.done;
    expect(carried.code).not.toBe(0);
    expect(carried.log).toContain('^INVITE sip:14155550100@');
  });
});
