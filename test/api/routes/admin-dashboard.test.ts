// The operator dashboard's aggregates: calls seeded through the real call and billing functions (open, hold,
// answer, end, settle), then read through the admin API on every dialect, asserting the exact figures.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { applyRegister } from '../../../core/registrations.ts';
import { signIn, testApi, TEST_VAULT, type SignedIn } from '../../harness/api.ts';
import { credit } from '../../harness/billing.ts';
import { UNIT } from '../../harness/calls.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { gbAndFrRates, seedCall } from '../../harness/seeded-calls.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const DAY_MS = 86_400_000;
const MARCH_1 = 'from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z';

describeEachDialect('operator dashboard API', (database) => {
  let app: FastifyInstance;
  let operator: SignedIn;
  let user: SignedIn;
  /** The UTC day the ledger entries were written (the ledger keeps its own time). */
  let ledgerDay: Date;
  beforeAll(async () => {
    app = await testApi(database(), {});
    const { db } = database();
    operator = await signIn(app, db, { role: 'operator' });
    user = await signIn(app, db);
    const { gb, fr } = await gbAndFrRates(db);
    ledgerDay = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    await credit(db, user.accountId, 50 * UNIT);
    const seed = (call: Parameters<typeof seedCall>[2]) => seedCall(database(), user.accountId, call);
    await seed({ to: '+442079460958', startedAt: '2026-03-01T10:00:00Z', talkSeconds: 90, rate: gb, mos: 4.3, browserMos: 412 });
    await seed({ to: '+33142685300', startedAt: '2026-03-01T10:20:00Z', talkSeconds: 30, rate: fr, mos: 3.6, browserMos: 455 });
    await seed({ to: '+442079460959', startedAt: '2026-03-01T10:40:00Z' });
    for (const startedAt of ['2026-03-01T11:00:00Z', '2026-03-01T11:10:00Z']) {
      await seed({ to: '+442079460960', startedAt, unanswered: { phase: 'refused', refusal: { reason: 'no-credit' } } });
    }
    await seed({ to: '+33142685301', startedAt: '2026-03-01T11:30:00Z', unanswered: { phase: 'failed', status: 486, cause: 'busy' } });
    await seed({ direction: 'inbound', from: '+33142685302', to: '+14155550123', startedAt: '2026-03-01T12:00:00Z', talkSeconds: 60, mos: 4.9 });
    // The echo test is the caller's own check, not traffic: in no figure.
    await seed({ direction: 'echo', to: '+14155550100', startedAt: '2026-03-01T12:30:00Z', talkSeconds: 20, mos: 1.2 });
    await seed({ to: '+442079460961', startedAt: '2026-03-02T09:00:00Z', talkSeconds: 60, rate: gb });
  });
  afterAll(() => app?.close());

  const get = (who: SignedIn | undefined, url: string) => app.inject({ method: 'GET', url, ...(who === undefined ? {} : { headers: who.headers }) });
  const read = async (url: string) => {
    const response = await get(operator, url);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Record<string, unknown>>();
  };

  it('counts calls per hour, answered, failed and cancelled, with ASR and ACD', async () => {
    const traffic = await read(`/admin/dashboard/traffic?${MARCH_1}&bucket=hour`);
    const buckets = traffic.buckets as { start: string }[];
    expect(buckets).toHaveLength(24);
    expect(buckets[0]!.start).toBe('2026-03-01T00:00:00.000Z');
    const zero = { answered: 0, failed: 0, cancelled: 0, talkSeconds: 0 };
    expect(buckets.slice(9, 14)).toEqual([
      { start: '2026-03-01T09:00:00.000Z', ...zero },
      { start: '2026-03-01T10:00:00.000Z', answered: 2, failed: 0, cancelled: 1, talkSeconds: 120 },
      { start: '2026-03-01T11:00:00.000Z', answered: 0, failed: 3, cancelled: 0, talkSeconds: 0 },
      { start: '2026-03-01T12:00:00.000Z', answered: 1, failed: 0, cancelled: 0, talkSeconds: 60 },
      { start: '2026-03-01T13:00:00.000Z', ...zero },
    ]);
    // Seven attempts, three answered; 180 s over three answered calls.
    expect(traffic.total).toEqual({ answered: 3, failed: 3, cancelled: 1, talkSeconds: 180, asr: 3 / 7, acd: 60 });

    const days = await read('/admin/dashboard/traffic?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z&bucket=day');
    expect(days.buckets).toEqual([
      { start: '2026-03-01T00:00:00.000Z', answered: 3, failed: 3, cancelled: 1, talkSeconds: 180 },
      { start: '2026-03-02T00:00:00.000Z', answered: 1, failed: 0, cancelled: 0, talkSeconds: 60 },
    ]);
    expect(days.total).toEqual({ answered: 4, failed: 3, cancelled: 1, talkSeconds: 240, asr: 0.5, acd: 60 });

    const empty = await read('/admin/dashboard/traffic?from=2025-03-01T00:00:00Z&to=2025-03-02T00:00:00Z&bucket=day');
    expect(empty.total).toEqual({ answered: 0, failed: 0, cancelled: 0, talkSeconds: 0, asr: null, acd: null });
  });

  it('counts refusals by reason and carrier failures by status', async () => {
    expect((await read(`/admin/dashboard/refusals?${MARCH_1}`)).reasons).toEqual([
      { phase: 'refused', reason: 'no-credit', sipStatus: null, calls: 2 },
      { phase: 'failed', reason: 'busy', sipStatus: 486, calls: 1 },
    ]);
  });

  it('sums the ledger: call charges and top-ups per day', async () => {
    const from = ledgerDay.toISOString();
    const to = new Date(ledgerDay.getTime() + DAY_MS).toISOString();
    // 90 s to GB in whole minutes at 0.60 (1.20), 30 s to FR by the second at 0.30 (0.15), 60 s to GB (0.60).
    expect(await read(`/admin/dashboard/spend?from=${from}&to=${to}`)).toEqual({
      from,
      to,
      currency: 'usd',
      days: [{ start: from, spend: '1.95', topUps: '50.00' }],
      total: { spend: '1.95', topUps: '50.00' },
    });
    const march = await read(`/admin/dashboard/spend?${MARCH_1}`);
    expect(march.total).toEqual({ spend: '0.00', topUps: '0.00' });
  });

  it('ranks the destinations users called, with minutes and spend', async () => {
    const destinations = await read('/admin/dashboard/destinations?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z');
    expect(destinations.destinations).toEqual([
      { country: 'GB', calls: 5, answered: 2, seconds: 150, spend: '1.80' },
      { country: 'FR', calls: 2, answered: 1, seconds: 30, spend: '0.15' },
    ]);
    expect((await read('/admin/dashboard/destinations?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z&limit=1')).destinations).toHaveLength(1);
  });

  it('bins MOS by half points, the media server and the browser apart', async () => {
    const bins = (await read(`/admin/dashboard/quality?${MARCH_1}`)).bins as { mos: number; media: number; browser: number }[];
    expect(bins.map((bin) => bin.mos)).toEqual([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(bins.filter((bin) => bin.media > 0 || bin.browser > 0)).toEqual([
      { mos: 3.5, media: 1, browser: 0 },
      { mos: 4, media: 1, browser: 1 },
      { mos: 4.5, media: 1, browser: 1 },
    ]);
  });

  it('counts the calls up now and the devices registered now', async () => {
    const { db } = database();
    const ringing = await openCdr(db, TEST_VAULT, {
      sipCallId: 'live-ringing',
      direction: 'outbound',
      accountId: user.accountId,
      fromNumber: '+14155550199',
      toNumber: '+442079460962',
      nodeId: 'test',
    });
    const talking = await openCdr(db, TEST_VAULT, {
      sipCallId: 'live-talking',
      direction: 'outbound',
      accountId: user.accountId,
      fromNumber: '+14155550199',
      toNumber: '+442079460963',
      nodeId: 'test',
    });
    await recordCdrState(db, ringing, { phase: 'dialing', attempt: 1, target: 'trunk' });
    await recordCdrState(db, talking, { phase: 'answered', target: 'trunk', answeredAt: new Date() });
    const now = new Date();
    const register = (accountId: string, username: string, contacts: string[], at: Date, expiresSeconds = 600) =>
      applyRegister(
        db,
        {
          accountId,
          username,
          callId: `dashboard-${username}`,
          cseq: 1,
          transport: 'wss',
          sourceAddress: '192.0.2.10',
          sourcePort: 5060,
          drachtioServer: 'wss/127.0.0.1:8443',
          userAgent: null,
          bindings: contacts.map((contact) => ({ contact, expiresSeconds })),
          limits: { maxBindings: 10 },
        },
        at,
      );
    await register(user.accountId, 'desk', ['sip:desk@192.0.2.10:5060', 'sip:desk@192.0.2.11:5060'], now);
    await register(operator.accountId, 'ops', ['sip:ops@192.0.2.12:5060'], now);
    // Long expired: not live.
    await register(operator.accountId, 'old', ['sip:old@192.0.2.13:5060'], new Date(now.getTime() - 3_600_000), 60);
    expect(await read('/admin/dashboard/live')).toEqual({
      at: expect.any(String),
      calls: { answered: 1, settingUp: 1 },
      registrations: { bindings: 3, accounts: 2 },
    });
  });

  it('refuses a range it cannot chart, and anyone but an operator', async () => {
    for (const [query, detail] of [
      ['from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', '`from` must be before `to`'],
      ['from=2026-01-01T00:00:00Z&to=2026-04-05T00:00:00Z&bucket=hour', 'a dashboard of hours spans at most 93 days'],
      ['from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=day', 'a dashboard of days spans at most 366 days'],
    ] as const) {
      const response = await get(operator, `/admin/dashboard/traffic?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request', detail });
    }
    expect((await get(operator, '/admin/dashboard/spend?from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z')).json()).toMatchObject({ status: 400 });
    expect((await get(operator, '/admin/dashboard/traffic?bucket=week')).statusCode).toBe(400);
    for (const path of ['traffic', 'refusals', 'spend', 'destinations', 'quality', 'live']) {
      const refused = await get(user, `/admin/dashboard/${path}`);
      expect(refused.statusCode, path).toBe(403);
      expect(refused.json()).toMatchObject({ status: 403, detail: 'operators only' });
      expect((await get(undefined, `/admin/dashboard/${path}`)).statusCode, path).toBe(401);
    }
  });
});
