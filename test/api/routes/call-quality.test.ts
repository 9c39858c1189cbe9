// A browser reports how a call sounded (POST /calls/:id/quality): stored on the user's own record, once, shown in
// their history and in the operators' export. Through the HTTP API, on both dialects.
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { signIn, testApi, type SignedIn, TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const REPORT = { mos: 4.31, rttMs: 42, jitterMs: 3, packetLossPermille: 7 };

describeEachDialect('call quality API', (database) => {
  let app: FastifyInstance;
  let user: SignedIn;
  let other: SignedIn;
  let operator: SignedIn;
  beforeAll(async () => {
    app = await testApi(database());
    user = await signIn(app, database().db);
    other = await signIn(app, database().db);
    operator = await signIn(app, database().db, { role: 'operator' });
  });
  afterAll(() => app?.close());

  const post = (who: SignedIn, cdrId: string, payload: object) => app.inject({ method: 'POST', url: `/calls/${cdrId}/quality`, headers: who.headers, payload });

  /** A record of `accountId`'s, answered (and ended) unless told otherwise. */
  async function call(accountId: string, answered = true): Promise<string> {
    const { db } = database();
    const id = await openCdr(db, TEST_VAULT, {
      sipCallId: `quality-${crypto.randomUUID()}`,
      direction: 'onnet',
      accountId,
      fromNumber: '+14155550101',
      toNumber: '+14155550102',
      nodeId: 'test',
    });
    if (!answered) return id;
    const at = new Date();
    await recordCdrState(db, id, { phase: 'answered', target: 'device', answeredAt: at });
    await recordCdrState(db, id, { phase: 'ended', target: 'device', answeredAt: at, endedAt: new Date(at.getTime() + 5000), by: 'caller', cause: 'normal' });
    return id;
  }

  const stored = (id: string) =>
    database()
      .db.selectFrom('cdrs')
      .select(['browser_mos', 'browser_rtt_ms', 'browser_jitter_ms', 'browser_loss_permille', 'mos'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it("stores the report on the caller's own record, in integers, and a repeat of it changes nothing", async () => {
    const id = await call(user.accountId);
    const first = await post(user, id, REPORT);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual(REPORT);
    expect(await stored(id)).toEqual({ browser_mos: 431, browser_rtt_ms: 42, browser_jitter_ms: 3, browser_loss_permille: 7, mos: null });

    const again = await post(user, id, REPORT);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(REPORT);
    expect(await stored(id)).toMatchObject({ browser_mos: 431 });

    // Other figures after the first: the first report stands.
    const changed = await post(user, id, { ...REPORT, mos: 2.5 });
    expect(changed.statusCode).toBe(409);
    expect(changed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(changed.json()).toMatchObject({ status: 409, type: 'https://dialo.dev/problems/quality-already-reported' });
    expect(await stored(id)).toMatchObject({ browser_mos: 431 });
  });

  it("refuses a report on another account's call, or on no call, as not found, and leaves it untouched", async () => {
    const theirs = await call(other.accountId);
    for (const id of [theirs, crypto.randomUUID()]) {
      const response = await post(user, id, REPORT);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 404, title: 'Not Found' });
    }
    expect(await stored(theirs)).toMatchObject({ browser_mos: null });
  });

  it('refuses a report on a call that was never answered', async () => {
    const id = await call(user.accountId, false);
    const response = await post(user, id, REPORT);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ type: 'https://dialo.dev/problems/call-not-answered' });
    expect(await stored(id)).toMatchObject({ browser_mos: null });
  });

  it('refuses bad bodies and ids with problem JSON, storing nothing', async () => {
    const id = await call(user.accountId);
    for (const body of [
      { ...REPORT, mos: 5.5 },
      { ...REPORT, mos: 0 },
      { ...REPORT, rttMs: -1 },
      { ...REPORT, jitterMs: 1.5 },
      { ...REPORT, packetLossPermille: 1001 },
      { ...REPORT, mos: '4.3' },
      { mos: 4.3 },
      { ...REPORT, extra: true },
    ]) {
      const response = await post(user, id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 400 });
    }
    expect((await post(user, 'not-a-uuid', REPORT)).statusCode).toBe(400);
    expect(await stored(id)).toMatchObject({ browser_mos: null });
    // Signed out: who is asking is unknown.
    const anonymous = await app.inject({ method: 'POST', url: `/calls/${id}/quality`, payload: REPORT });
    expect(anonymous.statusCode).toBe(401);
  });

  it("shows the figures in the user's history, and to operators in the export beside the media server's MOS", async () => {
    const { db } = database();
    const caller = await signIn(app, db);
    const reported = await call(caller.accountId);
    const silent = await call(caller.accountId);
    await db.updateTable('cdrs').set({ mos: 4.2 }).where('id', '=', reported).execute();
    expect((await post(caller, reported, REPORT)).statusCode).toBe(200);

    const history = (await app.inject({ method: 'GET', url: '/calls', headers: caller.headers })).json<{ calls: { id: string; quality: unknown }[] }>();
    expect(history.calls.find((entry) => entry.id === reported)?.quality).toEqual(REPORT);
    expect(history.calls.find((entry) => entry.id === silent)?.quality).toBeNull();

    const csv = await app.inject({ method: 'GET', url: `/admin/cdrs/export?accountId=${caller.accountId}`, headers: operator.headers });
    expect(csv.statusCode, csv.body).toBe(200);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows.find((row) => row.id === reported)).toMatchObject({
      mos: '4.2',
      browser_mos: '431',
      browser_rtt_ms: '42',
      browser_jitter_ms: '3',
      browser_loss_permille: '7',
    });
    expect(rows.find((row) => row.id === silent)).toMatchObject({ browser_mos: '' });
  });
});
