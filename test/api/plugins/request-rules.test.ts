/**
 * The rules every request meets before a route (api/plugins/request-rules.ts): clean text, plain numbers, JSON
 * bodies taken as sent; each refusal is a 400 problem naming the field, and writes nothing.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../../api/plugins/errors.ts';
import { registerRequestRules } from '../../../api/plugins/request-rules.ts';
import { signIn, useTestApi, type SignedIn } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const BAD_TEXT = 'must not contain NUL or an unpaired UTF-16 surrogate';
const RATE = { prefix: '1999', pricePerMinute: '0.10', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' };

describeEachDialect('request rules', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;

  /** Rows of every table the refused requests below could write to. */
  async function rowCounts() {
    const tables = ['rates', 'ledger_entries', 'legal_holds', 'policy_versions', 'audit_events', 'accounts', 'account_call_limits'] as const;
    const counts: Record<string, number> = {};
    for (const table of tables) counts[table] = (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db())).rows[0]?.n ?? 0;
    return counts;
  }

  async function expectRefused(
    operator: SignedIn,
    request: { method: 'GET' | 'POST' | 'PUT' | 'PATCH'; url: string; payload?: object },
    field: string,
    message: string,
  ) {
    const before = await rowCounts();
    const response = await api().inject({ ...request, headers: operator.headers });
    expect(response.statusCode, request.url).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json(), request.url).toMatchObject({
      type: 'https://dialo.dev/problems/validation',
      title: 'Bad Request',
      status: 400,
      errors: expect.arrayContaining([{ path: field, message: expect.stringContaining(message) }]),
    });
    expect(await rowCounts(), `${request.url} wrote`).toEqual(before);
  }

  it('refuses NUL and lone surrogates in free text with a 400 naming the field, and writes nothing', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const accounts = `/admin/accounts/${operator.accountId}`;
    for (const bad of ['before\u0000after', 'lone \ud800 high', 'lone \udc00 low']) {
      await expectRefused(operator, { method: 'POST', url: '/admin/rates', payload: { ...RATE, description: bad } }, '/description', BAD_TEXT);
      await expectRefused(operator, { method: 'POST', url: `${accounts}/adjustments`, payload: { amount: '1.00', reason: bad } }, '/reason', BAD_TEXT);
      await expectRefused(operator, { method: 'POST', url: `${accounts}/legal-holds`, payload: { reason: bad } }, '/reason', BAD_TEXT);
      await expectRefused(operator, { method: 'POST', url: '/admin/policy', payload: { version: 'v-nul', text: bad, material: false } }, '/text', BAD_TEXT);
      await expectRefused(
        operator,
        { method: 'POST', url: '/admin/policy', payload: { version: 'v-nul', text: 'fine', material: false, [bad]: 1 } },
        `/${bad}`,
        BAD_TEXT,
      );
    }
    await expectRefused(operator, { method: 'GET', url: `${accounts}/export?reason=case%00one` }, '/reason', BAD_TEXT);
    const csv = await api().inject({
      method: 'POST',
      url: '/admin/rates/import',
      headers: { ...operator.headers, 'content-type': 'text/csv' },
      payload: 'prefix,price_per_minute\n1999,0.1\u0000\n',
    });
    expect([csv.statusCode, csv.json().detail]).toEqual([400, `body ${BAD_TEXT}`]);
    // Paired surrogates are a character like any other.
    const emoji = await api().inject({
      method: 'POST',
      url: `${accounts}/legal-holds`,
      headers: operator.headers,
      payload: { reason: 'court order \u{1f4dc}' },
    });
    expect(emoji.statusCode).toBe(201);
  });

  it('reads a number in a query or path only as plain digits, finite and within its bounds', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    for (const bad of ['1e400', '-1e400', '1e-400', '1e1', 'Infinity', 'NaN', '0x10', '%205', '1.5', '9'.repeat(400), '9007199254740993']) {
      await expectRefused(operator, { method: 'GET', url: `/billing/ledger?before=${bad}` }, '/before', 'must be a whole number');
    }
    await expectRefused(operator, { method: 'GET', url: '/admin/rates?offset=1e300' }, '/offset', 'must be a whole number');
    await expectRefused(operator, { method: 'PUT', url: '/admin/rates/1e400', payload: RATE }, '/id', 'must be a whole number');
    const plain = await api().inject({ method: 'GET', url: '/billing/ledger?limit=10&before=9007199254740991', headers: operator.headers });
    expect([plain.statusCode, plain.json()]).toEqual([200, { entries: [], next: null }]);
  });

  it('takes a JSON body as sent: a wrong type is a 400, never coerced', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    await expectRefused(operator, { method: 'PATCH', url: '/account/profile', payload: { displayName: true } }, '/displayName', 'must be string');
    const limits = `/admin/accounts/${operator.accountId}/call-limits`;
    const noLimits = { maxConcurrentCalls: null, callsPerMinute: null, dailySpendCap: null, allowedCountries: null };
    await expectRefused(operator, { method: 'PUT', url: limits, payload: { ...noLimits, maxConcurrentCalls: '2' } }, '/maxConcurrentCalls', 'must be integer');
    await expectRefused(operator, { method: 'PUT', url: limits, payload: { ...noLimits, callsPerMinute: false } }, '/callsPerMinute', 'must be integer');
    await expectRefused(operator, { method: 'POST', url: '/admin/rates', payload: { ...RATE, firstIncrement: '60' } }, '/firstIncrement', 'must be integer');
    const overflow = await api().inject({
      method: 'PUT',
      url: limits,
      headers: { ...operator.headers, 'content-type': 'application/json' },
      payload: '{"maxConcurrentCalls": 1e400, "callsPerMinute": null, "dailySpendCap": null, "allowedCountries": null}',
    });
    expect([overflow.statusCode, overflow.json().errors]).toEqual([400, [{ path: '/maxConcurrentCalls', message: 'must be integer,null' }]]);
    const me = await api().inject({ method: 'GET', url: '/privacy/export', headers: operator.headers });
    expect(me.json().data.accounts[0].display_name).toBeNull();
  });
});

describe('request schemas', () => {
  it('must bound every number, or the app does not start', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    registerRequestRules(app);
    app.get('/unbounded', { schema: { querystring: { type: 'object', properties: { page: { type: 'integer', minimum: 0 } } } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/GET \/unbounded querystring: a numeric field needs a minimum and a maximum/);
  });

  it('reads a number in any branch of a query field as plain digits only', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    registerRequestRules(app);
    const page = { anyOf: [{ type: 'integer', minimum: 0, maximum: 100 }, { type: 'null' }] };
    app.get('/pages', { schema: { querystring: { type: 'object', properties: { page } } } }, async (request) => request.query);
    const plain = await app.inject({ method: 'GET', url: '/pages?page=7' });
    expect([plain.statusCode, plain.json()]).toEqual([200, { page: 7 }]);
    const exponent = await app.inject({ method: 'GET', url: '/pages?page=1e400' });
    expect([exponent.statusCode, exponent.json().errors]).toEqual([
      400,
      [{ path: '/page', message: 'must be a whole number in plain digits, within its bounds' }],
    ]);
    await app.close();
  });
});
