// Where a dialled call goes (core/calls/route.ts): the order of the rules, on both dialects, without SIP.
import { Directory } from '../../../core/calls/directory.ts';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { suspendOutbound } from '../../../core/abuse/suspension.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { openCdr } from '../../../core/calls/cdr.ts';
import { accountPorts, holdCredit, pricePorts, routeCall, routeFromCarrier, type RoutePorts } from '../../../core/calls/route.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { createAccount, credit } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const UNIT = 1_000_000;
const config = loadConfig({ ABUSE_ALLOWED_COUNTRIES: 'US,GB', ABUSE_NEW_ACCOUNT_DAYS: '0', ABUSE_CALLS_PER_MINUTE: '0' });
const LIMITS = { maxConcurrent: 10, maxCallSeconds: 3600, setupGraceSeconds: 60 };
const UK = '+442079460958';
const US_UNRATED = '+12015550123';
const DE = '+4915112345678';

describeEachDialect('routing a dialled call', (database) => {
  let rated = false;
  /** A rate for the UK (44), written once per suite. */
  async function ukRate() {
    if (rated) return;
    rated = true;
    await createRate(
      database().db,
      toRateInput({ prefix: '44', effectiveFrom: '2000-01-01T00:00:00Z', pricePerMinute: '0.60', firstIncrement: 1, nextIncrement: 1 }),
    );
  }

  const POLICY = { abuse: config.abuse, reservationLimits: LIMITS };
  /** The ports the INVITE flow uses, the order they were asked in, and the attempt's record. */
  function tracedPorts(accountId: string): { ports: RoutePorts; asked: string[]; cdrId: () => string } {
    const { db } = database();
    let cdrId: string | undefined;
    const ports: RoutePorts = {
      // A directory never polled reads through: the ports see every change the tests make.
      ...accountPorts(new Directory(db, { pollMs: 1000 }), db, accountId, POLICY),
      recordAttempt: async (number) => {
        cdrId = await openCdr(db, TEST_VAULT, {
          sipCallId: randomUUID(),
          direction: 'outbound',
          accountId,
          fromNumber: null,
          toNumber: number,
          nodeId: 'route-test',
        });
      },
    };
    const asked: string[] = [];
    const traced = Object.fromEntries(
      Object.entries(ports).map(([name, port]) => [name, (...args: unknown[]) => (asked.push(name), (port as (...a: unknown[]) => unknown)(...args))]),
    ) as unknown as RoutePorts;
    return {
      ports: traced,
      asked,
      cdrId: () => {
        if (cdrId === undefined) throw new Error('no attempt recorded');
        return cdrId;
      },
    };
  }

  const route = (ports: RoutePorts, dialled: string) => routeCall(ports, { dialled, defaultCountry: 'US', echoTestNumber: '*43' });
  const activeHolds = async (accountId: string) =>
    (await database().db.selectFrom('reservations').select('id').where('account_id', '=', accountId).where('status', '=', 'active').execute()).length;

  it('takes the echo test number as dialled, before any number parsing, and asks no port', async () => {
    const { ports, asked } = tracedPorts(await createAccount(database().db));
    expect(await route(ports, '*43')).toEqual({ kind: 'echo', number: '*43' });
    expect(await routeCall(ports, { dialled: '*43', defaultCountry: 'US', echoTestNumber: undefined })).toMatchObject({
      kind: 'refused',
      refusal: { reason: 'bad-number' },
    });
    expect(await route(ports, 'pizza')).toMatchObject({ kind: 'refused', refusal: { reason: 'bad-number' }, numberError: { reason: 'not-a-number' } });
    expect(asked).toEqual([]);
  });

  it('rings a DID we host on-net before any abuse rule, rate or credit: free, even for a suspended account with none', async () => {
    const { db } = database();
    const caller = await createAccount(db);
    const callee = await createAccount(db);
    await db.insertInto('dids').values({ e164: '+442079460100', account_id: callee }).execute();
    await suspendOutbound(db, TEST_VAULT, { accountId: caller, reason: 'operator', contact: 'support@example.org' });
    const { ports, asked } = tracedPorts(caller);
    expect(await route(ports, '+442079460100')).toEqual({ kind: 'on-net', number: '+442079460100', calleeAccountId: callee });
    expect(asked).toEqual(['didOwner']);
    // A number listed but assigned to nobody is no on-net call.
    await db.insertInto('dids').values({ e164: '+442079460101', account_id: null }).execute();
    expect(await route(tracedPorts(caller).ports, '+442079460101')).toMatchObject({ kind: 'refused', refusal: { reason: 'account-suspended' } });
  });

  it('records the attempt, then applies the abuse rules before looking for a rate', async () => {
    const { ports, asked } = tracedPorts(await createAccount(database().db));
    expect(await route(ports, DE)).toMatchObject({ kind: 'refused', refusal: { reason: 'destination-not-allowed' }, number: DE });
    expect(asked).toEqual(['didOwner', 'recordAttempt', 'callRules']);
  });

  it('refuses an unrated destination before looking for a trunk', async () => {
    const { ports, asked } = tracedPorts(await createAccount(database().db));
    expect(await route(ports, US_UNRATED)).toMatchObject({ kind: 'refused', refusal: { reason: 'no-rate' } });
    expect(asked).toEqual(['didOwner', 'recordAttempt', 'callRules', 'rate']);
  });

  it('refuses for credit before looking at the trunks, and lets go of the hold when no trunk takes the call', async () => {
    await ukRate();
    const { db } = database();
    const broke = await createAccount(db);
    const unpaid = tracedPorts(broke);
    const brokeRoute = await route(unpaid.ports, UK);
    expect(brokeRoute).toMatchObject({ kind: 'trunks', trunks: [] });
    if (brokeRoute.kind !== 'trunks') throw new Error('not routed to the trunks');
    expect(await holdCredit(db, broke, POLICY, brokeRoute, unpaid.cdrId())).toEqual({ ok: false, refusal: { reason: 'no-credit' } });

    const paying = await createAccount(db);
    await credit(db, paying, 10 * UNIT);
    const noTrunk = tracedPorts(paying);
    const decided = await route(noTrunk.ports, UK);
    expect(noTrunk.asked).toEqual(['didOwner', 'recordAttempt', 'callRules', 'rate', 'trunks']);
    if (decided.kind !== 'trunks') throw new Error('not routed to the trunks');
    expect(await holdCredit(db, paying, POLICY, decided, noTrunk.cdrId())).toEqual({ ok: false, refusal: { reason: 'no-trunk' } });
    expect(await activeHolds(paying)).toBe(0);
  });

  it('sends a call that passes every rule to the trunks, first choice first, with its rate and limits; the hold comes after', async () => {
    await ukRate();
    const { db } = database();
    const paying = await createAccount(db);
    await credit(db, paying, 10 * UNIT);
    const trunks = await db
      .insertInto('trunks')
      .values([
        { name: 'second', priority: 20, outbound_uri: 'sip:b.example.net' },
        { name: 'first', priority: 10, outbound_uri: 'sip:a.example.net' },
        { name: 'inbound-only', priority: 1, outbound_uri: null },
      ])
      .returning('id')
      .execute();
    try {
      const { ports, asked, cdrId } = tracedPorts(paying);
      const decided = await route(ports, UK);
      expect(decided).toMatchObject({ kind: 'trunks', number: UK, rate: { prefix: '44' } });
      if (decided.kind !== 'trunks') throw new Error('not routed to the trunks');
      expect(decided.trunks.map((trunk) => trunk.name)).toEqual(['first', 'second']);
      expect(decided.limits).toMatchObject({ maxConcurrent: config.abuse.defaults.maxConcurrentCalls });
      expect(asked).toEqual(['didOwner', 'recordAttempt', 'callRules', 'rate', 'trunks']);
      expect(await activeHolds(paying)).toBe(0);

      expect(await holdCredit(db, paying, POLICY, decided, cdrId())).toMatchObject({ ok: true, held: { maxSeconds: 1000 } });
      expect(await activeHolds(paying)).toBe(1);

      // The abuse rules' own limit on concurrent calls is the hold's: with one call up and a limit of one, a second is refused.
      const second = await route(tracedPorts(paying).ports, UK);
      if (second.kind !== 'trunks') throw new Error('not routed to the trunks');
      const limitedToOne = { ...second, limits: { maxConcurrent: 1, dailySpendCap: null } };
      expect(await holdCredit(db, paying, POLICY, limitedToOne, cdrId())).toEqual({ ok: false, refusal: { reason: 'too-many-calls' } });
    } finally {
      await db
        .deleteFrom('trunks')
        .where(
          'id',
          'in',
          trunks.map((trunk) => trunk.id),
        )
        .execute();
    }
  });

  it('prices a call for the quote with the same order, skipping what only placing it checks (abuse, trunks; nothing is held)', async () => {
    await ukRate();
    const ports = pricePorts(database().db, new Date());
    expect(await route(ports, UK)).toMatchObject({ kind: 'trunks', number: UK, rate: { prefix: '44' }, limits: undefined, trunks: [] });
    expect(await route(ports, DE)).toMatchObject({ kind: 'refused', refusal: { reason: 'no-rate' } });
    expect(await route(ports, '*43')).toEqual({ kind: 'echo', number: '*43' });
  });

  it("takes a carrier's call only for a DID we host and have assigned, with or without its +", async () => {
    const { db } = database();
    const owner = await createAccount(db);
    await db.insertInto('dids').values({ e164: '+442079460200', account_id: owner }).execute();
    const ports = pricePorts(db, new Date());
    expect(await routeFromCarrier(ports, '442079460200')).toEqual({ kind: 'on-net', number: '+442079460200', calleeAccountId: owner });
    expect(await routeFromCarrier(ports, '+442079460200')).toMatchObject({ kind: 'on-net', calleeAccountId: owner });
    expect(await routeFromCarrier(ports, '+442079460299')).toEqual({ kind: 'refused', refusal: { reason: 'unknown-did' } });
    expect(await routeFromCarrier(ports, 'pizza')).toEqual({ kind: 'refused', refusal: { reason: 'unknown-did' } });
  });
});
