/**
 * The one error handler (api/plugins/errors.ts): core's typed errors, thrown by a route as they come, leave as the
 * problem its table gives them; the table's rows are pinned here as users see them.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrefixAlreadyBlockedError } from '../../../core/abuse/blocked-prefixes.ts';
import { AccountError } from '../../../core/accounts/errors.ts';
import { AdjustmentError } from '../../../core/billing/ledger.ts';
import { RateConflictError, RateInputError } from '../../../core/billing/rates.ts';
import {
  PaymentEventUnreadableError,
  PaymentProviderError,
  PaymentRequestRefusedError,
  PaymentSignatureError,
} from '../../../core/billing/payment-provider.ts';
import { RefundAmountError, TopUpAmountError, TopUpKeyReusedError, TopUpNotFoundError, TopUpNotRefundableError } from '../../../core/billing/top-ups.ts';
import { CallAdminError } from '../../../core/calls/call-admin-error.ts';
import { MoneyError } from '../../../core/money.ts';
import { PolicyError } from '../../../core/privacy/policy.ts';
import { registerErrorHandling } from '../../../api/plugins/errors.ts';
import { problems } from '../../../api/schemas/problem.ts';
import { signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const T = 'https://dialo.dev/problems/';

/** Each core error, and the status, title and type it answers with. */
const CASES: [Error, number, string, string][] = [
  [new AccountError('invalid_credentials', 'wrong e-mail address or password'), 401, 'Unauthorized', `${T}invalid-credentials`],
  [new AccountError('not_verified', 'confirm first'), 403, 'Forbidden', `${T}not-verified`],
  [new AccountError('weak_password', 'too common'), 400, 'Bad Request', `${T}weak-password`],
  [new AccountError('invalid_email', 'plain ASCII please'), 400, 'Bad Request', `${T}invalid-email`],
  [new AccountError('invalid_token', 'expired'), 400, 'Bad Request', `${T}invalid-token`],
  [new AccountError('email_taken', 'taken'), 409, 'Conflict', `${T}email-taken`],
  [new AccountError('rate_limited', 'wait'), 429, 'Too Many Requests', `${T}rate-limited`],
  [new AccountError('no_such_account', 'no such account'), 404, 'Not Found', `${T}no-such-account`],
  [new PolicyError('version_exists', 'version 1 is already published'), 409, 'Conflict', `${T}version-exists`],
  [new PolicyError('unknown_version', 'there is no policy version 9'), 404, 'Not Found', `${T}unknown-version`],
  [new CallAdminError('invalid', 'a trunk name is 1-64 letters'), 400, 'Bad Request', `${T}bad-request`],
  [new CallAdminError('conflict', 'a trunk named x already exists'), 409, 'Conflict', `${T}conflict`],
  [new CallAdminError('not_found', 'no such trunk'), 404, 'Not Found', `${T}not-found`],
  [new PrefixAlreadyBlockedError('1900'), 409, 'Conflict', `${T}conflict`],
  [new RateInputError(['price is negative', 'no prefix']), 400, 'Bad Request', `${T}bad-request`],
  [new MoneyError('1.5 is not a whole number of micro-units'), 400, 'Bad Request', `${T}bad-request`],
  [new AdjustmentError('an adjustment needs a reason'), 400, 'Bad Request', `${T}bad-request`],
  [new TopUpAmountError({ minMinor: 500, maxMinor: 50_000, currency: 'usd' }), 400, 'Bad Request', `${T}bad-request`],
  [new RateConflictError('1', new Date('2000-01-01T00:00:00Z')), 409, 'Conflict', `${T}conflict`],
  [new TopUpKeyReusedError(), 409, 'Conflict', `${T}conflict`],
  [new TopUpNotRefundableError('t1'), 409, 'Conflict', `${T}conflict`],
  [new TopUpNotFoundError('t1'), 404, 'Not Found', `${T}not-found`],
  [new PaymentProviderError(), 502, 'Payment Provider Error', `${T}payment-provider-error`],
  [new RefundAmountError(500, 'usd'), 400, 'Bad Request', `${T}refund-amount`],
  [new PaymentRequestRefusedError('Charge ch_1 has already been refunded.'), 409, 'Conflict', `${T}payment-request-refused`],
  [new PaymentSignatureError(), 400, 'Bad Request', `${T}payment-signature`],
  [new PaymentEventUnreadableError('evt_1', 'data.object.amount is missing'), 422, 'Unprocessable Content', `${T}payment-event-unreadable`],
];

describe('core errors thrown by a route', () => {
  it.each(CASES)('%s answers %i %s', async (error, status, title, type) => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    app.get('/throws', { schema: { response: { 200: {}, ...problems(status) } } }, async () => {
      throw error;
    });
    const response = await app.inject({ method: 'GET', url: '/throws' });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({ type, title, status, detail: error.message });
    await app.close();
  });

  it('leaves any other error a 500 that says nothing', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    app.get('/throws', async () => {
      throw new Error('secret internals');
    });
    const response = await app.inject({ method: 'GET', url: '/throws' });
    expect(response.json()).toEqual({ type: `${T}internal-server-error`, title: 'Internal Server Error', status: 500 });
    await app.close();
  });

  it("types Fastify's own errors and an unknown route under the same base as every other problem", async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    app.post('/echo', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async () => ({}));
    const invalid = await app.inject({ method: 'POST', url: '/echo', payload: {} });
    expect(invalid.json()).toMatchObject({ type: `${T}validation`, title: 'Bad Request', status: 400, errors: [{ path: 'name' }] });
    const badType = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/x-nonsense' }, payload: 'x' });
    expect(badType.json()).toMatchObject({ type: `${T}unsupported-media-type`, status: 415 });
    const nowhere = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(nowhere.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(nowhere.json()).toEqual({ type: `${T}no-route`, title: 'Not Found', status: 404, detail: 'no route GET /nowhere' });
    await app.close();
  });
});

describeEachDialect('core errors in the API', (database) => {
  const api = useTestApi(database);

  it('answers a route that throws one with the problem of the table', async () => {
    const operator = await signIn(api(), database().db, { role: 'operator' });
    const block = () =>
      api().inject({ method: 'POST', url: '/admin/blocked-prefixes', headers: operator.headers, payload: { prefix: '88199', reason: 'twice' } });
    expect((await block()).statusCode).toBe(201);
    const again = await block();
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json()).toEqual({ type: `${T}conflict`, title: 'Conflict', status: 409, detail: 'prefix 88199 is already blocked' });
  });

  it('answers every operator action on an account that does not exist with the same 404, changing nothing', async () => {
    const operator = await signIn(api(), database().db, { role: 'operator' });
    const nobody = randomUUID();
    const actions: [string, string, object?][] = [
      ['GET', 'call-limits'],
      ['PUT', 'call-limits', { maxConcurrentCalls: 2, callsPerMinute: null, dailySpendCap: null, allowedCountries: null }],
      ['POST', 'outbound-suspension', { reason: 'fraud suspected' }],
      ['POST', 'outbound-suspension/lift', { reason: 'cleared' }],
      ['GET', 'balance'],
      ['POST', 'adjustments', { amount: '1.00', reason: 'goodwill credit' }],
      ['POST', 'legal-holds', { reason: 'court order 1' }],
      ['GET', 'export?reason=court%20order%201'],
    ];
    const before = await database()
      .db.selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    for (const [method, path, payload] of actions) {
      const response = await api().inject({ method: method as 'GET', url: `/admin/accounts/${nobody}/${path}`, headers: operator.headers, payload });
      expect([response.statusCode, response.json()], `${method} ${path}`).toEqual([
        404,
        { type: `${T}no-such-account`, title: 'Not Found', status: 404, detail: 'no such account' },
      ]);
    }
    const after = await database()
      .db.selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

/** Sends `request` as raw bytes on a new connection; resolves with all the server wrote before closing it. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    // The server closes on its answer while the rest of an oversized request is unread: a reset after the answer.
    socket.on('error', (error) => (received === '' ? reject(error) : resolve(received)));
  });
}

describeEachDialect('errors found before any route, over a real port', (database) => {
  const api = useTestApi(database);
  let base = '';
  let port = 0;
  beforeAll(async () => {
    base = await api().listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(base).port);
  });

  function expectProblem(status: number, contentType: string | null, body: string, expected: { status: number; title: string; detail?: string }) {
    expect(status, body).toBe(expected.status);
    expect(contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(body)).toMatchObject({
      type: expect.stringMatching(/^https:\/\/dialo\.dev\/problems\//),
      status: expected.status,
      title: expected.title,
      ...(expected.detail === undefined ? {} : { detail: expected.detail }),
    });
  }

  it.each([
    [
      'a bad percent-encoding, without the path repeated back',
      '/billing/top-ups/%E0%A4%A',
      {},
      { status: 400, title: 'Bad Request', detail: 'the path is not valid percent-encoded text' },
    ],
    [
      'a path parameter over 100 characters, without the path repeated back',
      `/billing/top-ups/${'a'.repeat(101)}`,
      {},
      { status: 414, title: 'URI Too Long', detail: 'a path parameter is longer than any route takes' },
    ],
    [
      'malformed JSON',
      '/auth/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": ' },
      { status: 400, title: 'Bad Request' },
    ],
    [
      'an unsupported media type',
      '/auth/login',
      { method: 'POST', headers: { 'content-type': 'text/x-nonsense' }, body: 'x' },
      { status: 415, title: 'Unsupported Media Type' },
    ],
    [
      'a body over 1 MiB',
      '/auth/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x'.repeat(1_100_000) }) },
      { status: 413, title: 'Payload Too Large' },
    ],
  ])('answers %s with problem+json', async (_label, path, init, expected) => {
    const response = await fetch(`${base}${path}`, init);
    expectProblem(response.status, response.headers.get('content-type'), await response.text(), expected);
  });

  it.each([
    [
      'headers larger than Node accepts',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      { status: 431, title: 'Request Header Fields Too Large' },
    ],
    ['bytes that are not HTTP', 'NOT HTTP AT ALL\r\n\r\n', { status: 400, title: 'Bad Request' }],
  ])('answers %s with problem+json on the socket, then closes it', async (_label, request, expected) => {
    const answer = await rawExchange(port, request);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
    expectProblem(status, /^content-type: (.*)$/im.exec(head)?.[1] ?? null, body, expected);
  });
});
