/**
 * Walks every route of the OpenAPI document: account A can never read or change account B's data, and
 * bad input of every kind gets a 4xx problem and writes nothing. A new route fails this test until it is
 * added to ROUTES below (with a sample body), so the walk stays complete.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { TEST_PASSWORD, signIn, uniqueEmail, useTestApi, type SignedIn } from '../harness/api.ts';
import { describeEachDialect } from '../harness/databases.ts';
import { browserSubscription } from '../harness/push-service.ts';

interface RouteSample {
  /** A valid request body for the caller (built from the caller's own details). */
  body?: (self: SignedIn) => Record<string, unknown>;
  query?: string;
  /** Run after the others (it ends the caller's session or account). */
  last?: boolean;
  /** Path parameters this route needs beyond the common ones. */
  params?: Record<string, string>;
  /** Needs a payment provider, which this suite has none of: a 503 "not configured" is its right answer. */
  needsPayments?: boolean;
}

const ROUTES: Record<string, RouteSample> = {
  'GET /healthz': {},
  'GET /readyz': {},
  'POST /auth/signup': { body: () => ({ email: uniqueEmail('walk'), password: TEST_PASSWORD }) },
  'GET /auth/verify': { query: 'token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  'POST /auth/login': { body: (self) => ({ email: self.email, password: TEST_PASSWORD }) },
  'POST /auth/logout': { last: true },
  'POST /auth/logout-everywhere': { last: true },
  'GET /auth/me': {},
  'GET /auth/config': {},
  'POST /auth/password': { body: () => ({ currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD }) },
  'POST /auth/password-reset': { body: (self) => ({ email: self.email }) },
  'POST /auth/password-reset/confirm': { body: () => ({ token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', password: 'a fresh passphrase' }) },
  'PATCH /account/profile': { body: () => ({ displayName: 'Walker' }) },
  'GET /privacy/policy': {},
  'POST /privacy/policy/acknowledge': { body: () => ({ version: '2025-10' }) },
  'GET /privacy/export': {},
  'GET /privacy/summary': {},
  'GET /privacy/export/csv/{table}': {},
  'POST /privacy/deletion': { body: () => ({ password: TEST_PASSWORD }), last: true },
  'POST /admin/accounts/{accountId}/legal-holds': { body: () => ({ reason: 'walk test' }) },
  'POST /admin/accounts/{accountId}/legal-holds/{holdId}/lift': {},
  'GET /admin/accounts/{accountId}/legal-holds': {},
  'GET /admin/accounts/{accountId}/export': { query: 'reason=walk' },
  'POST /admin/policy': { body: () => ({ version: `walk-${randomUUID().slice(0, 8)}`, text: 'x', material: true }) },
  'POST /admin/retention/run': {},
  'POST /sip/credentials': {},
  'GET /billing/config': {},
  'GET /billing/balance': {},
  'GET /billing/ledger': {},
  'POST /billing/top-ups': { body: () => ({ amountMinor: 1000, idempotencyKey: randomUUID() }), needsPayments: true },
  'GET /billing/top-ups': {},
  'GET /billing/top-ups/{id}': { params: { id: randomUUID() } },
  'POST /billing/stripe/webhook': { needsPayments: true },
  'GET /admin/rates': {},
  'POST /admin/rates': {
    body: () => ({ prefix: '1999', pricePerMinute: '0.10', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }),
  },
  'PUT /admin/rates/{id}': {
    body: () => ({ prefix: '1999', pricePerMinute: '0.20', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }),
  },
  'DELETE /admin/rates/{id}': {},
  'POST /admin/rates/import': {},
  'GET /admin/accounts/{accountId}/balance': {},
  'POST /admin/accounts/{accountId}/adjustments': { body: () => ({ amount: '1.00', reason: 'walk' }) },
  'POST /admin/top-ups/{id}/refund': { body: () => ({ idempotencyKey: randomUUID() }), params: { id: randomUUID() } },
  'GET /calls': {},
  'GET /calls/export': { query: 'outcome=answered' },
  'GET /calls/usage': {},
  'GET /calls/quote': { query: 'number=%2B14155550100' },
  'POST /calls/{callId}/quality': { params: { callId: randomUUID() }, body: () => ({ mos: 4.2, rttMs: 20, jitterMs: 2, packetLossPermille: 0 }) },
  'GET /numbers': {},
  'GET /admin/cdrs/export': {},
  'GET /admin/trunks': {},
  'POST /admin/trunks': { body: () => ({ name: `walk-${randomUUID().slice(0, 8)}`, outboundUri: 'sip:carrier.example' }) },
  'PUT /admin/trunks/{id}': { body: () => ({ name: 'walk-renamed', outboundUri: 'sip:carrier.example' }) },
  'DELETE /admin/trunks/{id}': {},
  'GET /admin/dids': {},
  'POST /admin/dids': { body: (self) => ({ e164: '+14155550177', accountId: self.accountId }) },
  'PUT /admin/dids/{e164}': { body: () => ({ accountId: null }), params: { e164: '%2B14155550177' } },
  'DELETE /admin/dids/{e164}': { params: { e164: '%2B14155550177' } },
  'GET /admin/accounts': {},
  'GET /admin/sip-credentials': {},
  'POST /admin/sip-credentials': { body: (self) => ({ accountId: self.accountId, username: 'walk-phone' }) },
  'DELETE /admin/sip-credentials/{username}': { params: { username: 'walk-phone' } },
  'GET /admin/accounts/{accountId}/call-limits': {},
  'PUT /admin/accounts/{accountId}/call-limits': { body: () => ({ maxConcurrentCalls: 2, callsPerMinute: 5, dailySpendCap: '10', allowedCountries: ['US'] }) },
  'POST /admin/accounts/{accountId}/outbound-suspension': { body: () => ({ reason: 'walk test' }) },
  'POST /admin/accounts/{accountId}/outbound-suspension/lift': { body: () => ({ reason: 'walk test' }) },
  'GET /admin/blocked-prefixes': {},
  'POST /admin/blocked-prefixes': { body: () => ({ prefix: '1900', reason: 'walk test' }) },
  'DELETE /admin/blocked-prefixes/{prefix}': { params: { prefix: '1900' } },
  'GET /admin/dashboard/traffic': { query: 'bucket=hour' },
  'GET /admin/dashboard/refusals': {},
  'GET /admin/dashboard/spend': {},
  'GET /admin/dashboard/destinations': { query: 'limit=5' },
  'GET /admin/dashboard/quality': {},
  'GET /admin/dashboard/live': {},
  'GET /admin/calls/live': {},
  'POST /admin/calls/{id}/hang-up': { params: { id: randomUUID() } },
  'GET /admin/audit': {},
  'GET /push/config': {},
  'GET /push/subscriptions': {},
  'POST /push/subscriptions': { body: () => ({ endpoint: `https://push.example.org/walk/${randomUUID()}`, keys: pushKeys() }) },
  'DELETE /push/subscriptions/{id}': { params: { id: randomUUID() } },
};

/** A browser's subscription keys: its P-256 public point and auth secret, base64url. */
function pushKeys() {
  const { p256dh, auth } = browserSubscription('https://push.example.org/walk');
  return { p256dh, auth };
}

describeEachDialect('every route', (database) => {
  // SIP configured, so that its routes answer as in a deployment that calls.
  const api = useTestApi(database, { sip: loadConfig({ SIP_SECRET: 'w'.repeat(40) }).sip, push: { publicKey: pushKeys().p256dh } });
  const db = () => database().db;

  async function routes(): Promise<{ method: string; path: string; key: string; hasBody: boolean }[]> {
    const doc = (await api().inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>();
    return Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        hasBody: operation.requestBody !== undefined,
      })),
    );
  }

  function url(path: string, params: Record<string, string>, query?: string): string {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? 'x');
    return query === undefined ? filled : `${filled}?${query}`;
  }

  /** Everything B can see of B, through B's own export (minus what changes by itself, like timestamps of reads). */
  async function snapshotOf(b: SignedIn) {
    const bundle = (await api().inject({ method: 'GET', url: '/privacy/export', headers: b.headers })).json();
    return {
      account: bundle.data.accounts,
      sessions: bundle.data.sessions,
      acks: bundle.data.policy_acknowledgements,
      holds: await db().selectFrom('legal_holds').select('id').where('account_id', '=', b.accountId).execute(),
    };
  }

  it('lists every route in the walk', async () => {
    const unknown = (await routes()).map((route) => route.key).filter((key) => ROUTES[key] === undefined);
    expect(unknown, 'add these routes to ROUTES in this test').toEqual([]);
  });

  it('never lets account A read or change account B', async () => {
    const a = await signIn(api(), db());
    const b = await signIn(api(), db());
    await api().inject({ method: 'PATCH', url: '/account/profile', headers: b.headers, payload: { displayName: 'Bea Private' } });
    const before = await snapshotOf(b);
    const ordered = (await routes()).sort((x, y) => Number(ROUTES[x.key]?.last ?? false) - Number(ROUTES[y.key]?.last ?? false));
    for (const route of ordered) {
      const sample = ROUTES[route.key] ?? {};
      const params = { accountId: b.accountId, holdId: randomUUID(), table: 'accounts', id: '1' };
      const response = await api().inject({
        method: route.method as 'GET',
        url: url(route.path, { ...params, ...sample.params }, sample.query),
        headers: a.headers,
        payload: sample.body?.(a),
      });
      if (sample.needsPayments) expect([response.statusCode, response.json().title], route.key).toEqual([503, 'Payments Not Configured']);
      else expect(response.statusCode, route.key).toBeLessThan(500);
      expect(response.body, `${route.key} leaks B's address`).not.toContain(b.email);
      expect(response.body, `${route.key} leaks B's name`).not.toContain('Bea Private');
      if (route.path.startsWith('/admin/')) expect(response.statusCode, route.key).toBe(403);
      else expect(response.body, `${route.key} leaks B's id`).not.toContain(b.accountId);
    }
    expect(await snapshotOf(b)).toEqual(before);
  });

  async function rowCounts(): Promise<Record<string, number>> {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
    `.execute(db());
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables.rows) {
      counts[table] = (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db())).rows[0]?.n ?? 0;
    }
    return counts;
  }

  it('answers bad input on every route with a 4xx problem and writes nothing', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const withBody = (await routes()).filter((route) => route.hasBody);
    expect(withBody.length).toBeGreaterThan(8);
    const before = await rowCounts();
    const params = { accountId: operator.accountId, holdId: randomUUID(), table: 'sessions', id: '1' };
    for (const route of withBody) {
      const good = ROUTES[route.key]?.body?.(operator) ?? {};
      const target = url(route.path, { ...params, ...ROUTES[route.key]?.params }, ROUTES[route.key]?.query);
      const wrongTypes = Object.fromEntries(Object.keys(good).map((key) => [key, { nested: [1, 2] }]));
      const attempts: { label: string; payload: string | Record<string, unknown>; type?: string }[] = [
        { label: 'missing fields', payload: {} },
        { label: 'wrong types', payload: wrongTypes },
        { label: 'extra field', payload: { ...good, isOperator: true } },
        { label: 'not JSON', payload: '{"email": ', type: 'application/json' },
        { label: 'wrong content type', payload: 'email=x', type: 'application/x-www-form-urlencoded' },
        { label: 'huge body', payload: { ...good, padding: 'x'.repeat(1_100_000) } },
      ];
      if ('email' in good) {
        for (const trick of [
          'аdmin@example.org',
          'admin\u200b@example.org',
          'admin@exаmple.org',
          'ＡＤＭＩＮ@example.org',
          'admin@example.org\u202e',
          'a@b',
          'x'.repeat(250) + '@example.org',
        ]) {
          attempts.push({ label: `e-mail ${JSON.stringify(trick)}`, payload: { ...good, email: trick } });
        }
      }
      for (const attempt of attempts) {
        const body = typeof attempt.payload === 'string' ? attempt.payload : JSON.stringify(attempt.payload);
        const response = await api().inject({
          method: route.method as 'POST',
          url: target,
          headers: { ...operator.headers, 'content-type': attempt.type ?? 'application/json' },
          payload: body,
        });
        const where = `${route.key} with ${attempt.label}`;
        expect(response.statusCode, where).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, where).toBeLessThan(500);
        expect(response.headers['content-type'], where).toMatch(/^application\/problem\+json/);
        expect(response.json(), where).toMatchObject({ type: expect.any(String), title: expect.any(String), status: response.statusCode });
        expect(response.body, where).not.toMatch(/at .*\.ts:\d+/);
      }
    }
    const badParams = [
      { method: 'POST', url: '/admin/accounts/not-a-uuid/legal-holds', payload: { reason: 'case 1' } },
      { method: 'GET', url: '/admin/accounts/not-a-uuid/export?reason=x' },
      { method: 'GET', url: `/admin/accounts/${operator.accountId}/export` },
      { method: 'GET', url: '/auth/verify?token=short' },
      { method: 'GET', url: '/privacy/export/csv/Accounts' },
    ] as const;
    for (const request of badParams) {
      const response = await api().inject({ ...request, headers: operator.headers });
      expect(response.statusCode, request.url).toBe(400);
    }
    expect(await rowCounts()).toEqual(before);
  });
});
