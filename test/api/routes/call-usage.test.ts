// A user's own history, filtered; its CSV export; and minutes and spend per day and per country. Calls are rated and
// charged through the real billing functions (reserve, settle), then read through the HTTP API on every dialect.
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { signIn, testApi, type SignedIn } from '../../harness/api.ts';
import { credit } from '../../harness/billing.ts';
import { UNIT } from '../../harness/calls.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { gbAndFrRates, seedCall } from '../../harness/seeded-calls.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describeEachDialect('spend and usage API', (database) => {
  let app: FastifyInstance;
  let user: SignedIn;
  let other: SignedIn;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    app = await testApi(database(), {});
    const { db } = database();
    user = await signIn(app, db);
    other = await signIn(app, db);
    const { gb, fr } = await gbAndFrRates(db);
    await credit(db, user.accountId, 50 * UNIT);
    await credit(db, other.accountId, 50 * UNIT);
    ids.london = await seedCall(database(), user.accountId, { to: '+442079460958', startedAt: '2026-03-01T10:00:00Z', talkSeconds: 90, rate: gb });
    ids.paris = await seedCall(database(), user.accountId, { to: '+33142685300', startedAt: '2026-03-01T12:00:00Z', talkSeconds: 30, rate: fr });
    ids.missed = await seedCall(database(), user.accountId, { to: '+442079460959', startedAt: '2026-03-02T09:00:00Z' });
    ids.refused = await seedCall(database(), user.accountId, {
      to: '+442079460960',
      startedAt: '2026-03-02T11:00:00Z',
      unanswered: { phase: 'refused', refusal: { reason: 'no-credit' } },
    });
    ids.incoming = await seedCall(database(), user.accountId, {
      direction: 'inbound',
      from: '+33142685301',
      to: '+14155550123',
      startedAt: '2026-03-03T08:00:00Z',
      talkSeconds: 60,
    });
    // Another user's call, the same day and country: never in this user's views.
    await seedCall(database(), other.accountId, { to: '+442079460000', startedAt: '2026-03-01T10:30:00Z', talkSeconds: 600, rate: gb });
  });
  afterAll(() => app?.close());

  const get = (who: SignedIn | undefined, url: string) => app.inject({ method: 'GET', url, ...(who === undefined ? {} : { headers: who.headers }) });
  const listed = async (query: string) => {
    const response = await get(user, `/calls?${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ calls: { id: string; country: string | null }[] }>().calls.map((call) => call.id);
  };

  it('narrows the history by country, outcome, direction and time, each alone and together', async () => {
    expect(await listed('limit=50')).toEqual([ids.incoming, ids.refused, ids.missed, ids.paris, ids.london]);
    expect(await listed('country=GB')).toEqual([ids.refused, ids.missed, ids.london]);
    expect(await listed('outcome=answered')).toEqual([ids.incoming, ids.paris, ids.london]);
    expect(await listed('outcome=missed')).toEqual([ids.missed]);
    expect(await listed('outcome=failed')).toEqual([ids.refused]);
    expect(await listed('direction=in')).toEqual([ids.incoming]);
    expect(await listed('direction=out')).toEqual([ids.refused, ids.missed, ids.paris, ids.london]);
    expect(await listed('from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z')).toEqual([ids.refused, ids.missed]);
    expect(await listed('country=GB&outcome=answered')).toEqual([ids.london]);
    // A whole number at either end (records hold them sealed: compared sealed, under the user's key).
    expect(await listed('number=%2B33142685300')).toEqual([ids.paris]);
    expect(await listed('number=%2B33142685301')).toEqual([ids.incoming]);
    expect(await listed('number=%2B14155550199')).toEqual([ids.refused, ids.missed, ids.paris, ids.london]);
    expect(await listed('number=%2B442079460000')).toEqual([]);
    const first = (await get(user, '/calls?country=GB&limit=2')).json<{ calls: { country: string }[]; next: string }>();
    expect(first.calls.map((call) => call.country)).toEqual(['GB', 'GB']);
    const rest = (await get(user, `/calls?country=GB&limit=2&before=${first.next}`)).json<{ calls: { id: string }[]; next: string | null }>();
    expect(rest).toEqual({ calls: [expect.objectContaining({ id: ids.london })], next: null, currency: 'usd' });
  });

  it('refuses a filter it cannot apply with problem details', async () => {
    for (const query of [
      'country=gb',
      'outcome=maybe',
      'direction=sideways',
      'from=yesterday',
      'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
      'number=pizza',
    ]) {
      for (const path of ['/calls', '/calls/export', '/calls/usage']) {
        const response = await get(user, `${path}?${query}`);
        expect(response.statusCode, `${path}?${query}`).toBe(400);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request' });
      }
    }
    expect((await get(user, '/calls/usage?from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z')).json()).toMatchObject({
      status: 400,
      detail: 'a summary spans at most 366 days',
    });
    for (const path of ['/calls/export', '/calls/usage']) expect((await get(undefined, path)).statusCode).toBe(401);
  });

  it('sums minutes and spend per day and per destination country from the charged calls', async () => {
    const response = await get(user, '/calls/usage?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z');
    expect(response.statusCode, response.body).toBe(200);
    // London: 90 s billed as two whole minutes at 0.60; Paris: 30 s at 0.30 a minute by the second.
    expect(response.json()).toEqual({
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-04T00:00:00.000Z',
      currency: 'usd',
      days: [
        { day: '2026-03-01', calls: 2, seconds: 120, spend: '1.35' },
        { day: '2026-03-02', calls: 2, seconds: 0, spend: '0.00' },
        { day: '2026-03-03', calls: 1, seconds: 60, spend: '0.00' },
      ],
      countries: [
        { country: 'GB', calls: 3, seconds: 90, spend: '1.20' },
        { country: 'FR', calls: 1, seconds: 30, spend: '0.15' },
        { country: 'US', calls: 1, seconds: 60, spend: '0.00' },
      ],
      total: { calls: 5, seconds: 180, spend: '1.35' },
    });
    const answeredOut = (await get(user, '/calls/usage?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z&direction=out&outcome=answered')).json();
    expect(answeredOut).toMatchObject({ days: [{ day: '2026-03-01', calls: 2, seconds: 120, spend: '1.35' }], total: { calls: 2 } });
    const london = (await get(user, '/calls/usage?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z&number=%2B442079460958')).json();
    expect(london).toMatchObject({ countries: [{ country: 'GB', calls: 1, seconds: 90, spend: '1.20' }], total: { calls: 1 } });
  });

  it("exports the filtered history as CSV, the user's own calls only", async () => {
    const response = await get(user, '/calls/export');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="dialo-calls-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.id)).toEqual([ids.incoming, ids.refused, ids.missed, ids.paris, ids.london]);
    expect(rows.at(-1)).toEqual({
      id: ids.london,
      started_at: '2026-03-01T10:00:00.000Z',
      answered_at: '2026-03-01T10:00:05.000Z',
      ended_at: '2026-03-01T10:01:35.000Z',
      direction: 'outbound',
      from: '+14155550199',
      to: '+442079460958',
      country: 'GB',
      outcome: 'ended',
      reason: 'normal',
      talk_seconds: '90',
      billable_seconds: '90',
      cost: '1.20',
      currency: 'usd',
    });
    expect(rows.find((row) => row.id === ids.refused)).toMatchObject({ outcome: 'refused', reason: 'no-credit', cost: '', answered_at: '' });
    expect(response.body).not.toContain('+442079460000');

    const paris = parse((await get(user, '/calls/export?country=FR')).body, { columns: true }) as Record<string, string>[];
    expect(paris).toEqual([expect.objectContaining({ id: ids.paris, to: '+33142685300', cost: '0.15' })]);
    // Another user's number is no way into their calls: it is sealed under this user's key, which sealed none of theirs.
    expect((await get(user, '/calls/export?number=%2B442079460000')).body.trim().split('\n')).toHaveLength(1);

    // The other user's export is theirs alone: their one call, none of this user's.
    const theirs = parse((await get(other, '/calls/export')).body, { columns: true }) as Record<string, string>[];
    expect(theirs.map((row) => row.to)).toEqual(['+442079460000']);
    expect(theirs[0]).toMatchObject({ cost: '6.00', talk_seconds: '600' });
  });
});
