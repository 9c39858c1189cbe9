/**
 * Fuzzes every route of the OpenAPI document the app builds (a new route is fuzzed without editing this file):
 * each called as the owner of the account in its path, as another user, as an operator and signed out, with
 * headers, path parameters, queries and bodies drawn from hostile alphabets (NUL, lone surrogates, RTL marks,
 * overflowing and exponent numbers, deep nesting, 1 MB strings, wrong JSON types) and from each schema's valid
 * values, so that requests also get past validation into the handlers.
 *
 * Whatever comes in: no 5xx (but a 503 "... Not Configured" where the route documents a 503), every error is
 * problem+json, and a 4xx writes nothing. A fixed seed runs in `npm test`; FUZZ_RUNS and FUZZ_SEED run it longer
 * or elsewhere (test/README.md).
 */
import { sql } from 'kysely';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, expect, it } from 'vitest';
import { createSession } from '../../core/accounts/sessions.ts';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrfTokenFor } from '../../api/plugins/session.ts';
import { signIn, testApi, useTestApi, type SignedIn } from '../harness/api.ts';
import { startFakeStripe } from '../harness/fake-stripe.ts';
import { describeEachDialect } from '../harness/databases.ts';

/** Requests per route and caller; the default keeps the file well under a minute per dialect. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3);
const SEED = Number(process.env.FUZZ_SEED ?? 20);

/**
 * Tables a refused request may write to on purpose, left out of the "a 4xx writes nothing" comparison:
 * - audit_events: a failed login and a refused re-authentication (wrong current password) are audited.
 * - rate_limit_counters: the throttles count refused attempts, so that they can refuse the next ones.
 * - cache_versions: counters bumped by statement-level triggers, also by a statement that matched no row (deleting
 *   a trunk that does not exist): it only makes the nodes reload that cache, and holds no data.
 */
const WRITTEN_ON_REFUSAL = new Set(['audit_events', 'rate_limit_counters', 'cache_versions']);

/**
 * Where the fuzzed requests come from: not the harness's own address (127.0.0.1, as `signIn` logs in), so a long run's
 * failed logins exhaust the per-source limits of the fuzzer's address only (its own 429s are still fuzzed), never the
 * set-up's.
 */
const FUZZER_ADDRESS = '198.18.0.1';

type JsonSchema = Record<string, unknown>;
type Caller = 'owner' | 'another user' | 'operator' | 'signed out';
const CALLERS: readonly Caller[] = ['owner', 'another user', 'operator', 'signed out'];

interface Parameter {
  readonly in: 'path' | 'query' | 'header';
  readonly name: string;
  readonly schema: JsonSchema;
}

interface Operation {
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body: JsonSchema | undefined;
  /** Whether the route documents a 503 (a part of the deployment not set up: payments, SIP). */
  readonly documents503: boolean;
}

/** A JSON token written as is (numbers JSON.stringify cannot write, nesting deeper than worth building). */
class RawJson {
  constructor(readonly text: string) {}
}

/** Text for a URL written as is (a broken percent-encoding), not encoded again. */
class RawUrlText {
  constructor(readonly text: string) {}
}

const ONE_MB = 'a'.repeat(1_000_000);
const OVER_ONE_MB = 'b'.repeat(1_100_000);

const hostileText = fc.constantFrom(
  'a\u0000b',
  '\u0000',
  'x\ud800',
  '\udc00y',
  '\udbff\ud800',
  '\u202eevil\u202c',
  '\u200f\u200b\u2066',
  'Infinity',
  'NaN',
  '1e400',
  '-1e400',
  '1e-400',
  '0x10',
  ' 5',
  '9'.repeat(400),
  '',
  '__proto__',
  ONE_MB,
  OVER_ONE_MB,
);

const hostileNumber = fc
  .constantFrom('1e400', '-1e400', '1e-400', '9007199254740993', '-9007199254740993', '1e308', '-0', '1.5', '123456789012345678901234567890')
  .map((token) => new RawJson(token));

const wrongType = fc.constantFrom<unknown>(true, false, '1', '0', 1, 0, -1, null, [], [1], {}, { nested: { deeper: [] } });

const deepNesting = fc.constantFrom(new RawJson(`${'['.repeat(20_000)}${']'.repeat(20_000)}`), new RawJson(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`));

const hostileLeaf = fc.oneof(hostileText, hostileNumber, wrongType, deepNesting);
const hostileValue = fc.oneof(
  { weight: 4, arbitrary: hostileLeaf },
  fc.array(hostileLeaf, { maxLength: 3 }),
  fc.dictionary(
    fc.oneof(
      hostileText.filter((key) => key.length < 100),
      fc.string(),
    ),
    hostileLeaf,
    { maxKeys: 3 },
  ),
);

/** Schema-valid values: what each schema accepts, kept small. */
function validValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (branches !== undefined) return fc.oneof(...branches.map(validValue));
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  return fc.oneof(...types.map((type) => validOfType(type, schema)));
}

function validOfType(type: string, schema: JsonSchema): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return validString(schema);
    case 'integer': {
      const min = Number(schema.minimum ?? -1000);
      const max = Number(schema.maximum ?? 1000);
      // Small ones mostly, as ids of rows that exist are small.
      return fc.oneof({ weight: 3, arbitrary: fc.integer({ min, max: Math.min(max, min + 5) }) }, fc.integer({ min, max }));
    }
    case 'number':
      return fc.double({ min: Number(schema.minimum ?? -1000), max: Number(schema.maximum ?? 1000), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = validValue((schema.items as JsonSchema | undefined) ?? {});
      const maxLength = Math.min(Number(schema.maxItems ?? 3), 3);
      return schema.uniqueItems ? fc.uniqueArray(items, { maxLength, selector: (item) => JSON.stringify(item) }) : fc.array(items, { maxLength });
    }
    case 'object': {
      const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
      const model = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, validValue(property)]));
      return fc.record(model, { requiredKeys: (schema.required as string[] | undefined) ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = Number(schema.minLength ?? 0);
  const maxLength = Math.min(Number(schema.maxLength ?? 40), 60);
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time')
    return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString());
  if (typeof schema.pattern === 'string') {
    // Repeated up to the minimum length and cut to the maximum: still a match for most patterns (a token's), and a
    // 400 for the others, which is fine now and then. (A filter could loop for ever.)
    return fc
      .stringMatching(new RegExp(schema.pattern), { size: 'xsmall' })
      .map((text) => text.padEnd(minLength, text || 'a').slice(0, Number(schema.maxLength ?? Infinity)));
  }
  return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
}

/** A valid body, one field of it made hostile, an extra field, or a hostile body altogether. */
function bodyArbitrary(schema: JsonSchema): fc.Arbitrary<unknown> {
  const valid = validValue(schema);
  const fields = Object.keys((schema.properties as object | undefined) ?? {});
  const oneFieldHostile = fc.tuple(valid, fc.nat(), hostileValue).map(([body, index, bad]) => {
    const keys = [...new Set([...fields, ...Object.keys(body as object)])];
    return keys.length === 0 ? bad : { ...(body as object), [keys[index % keys.length]!]: bad };
  });
  const extraField = valid.map((body) => ({ ...(body as object), isOperator: true }));
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 4, arbitrary: oneFieldHostile }, extraField, hostileValue);
}

/** JSON text of `value`, with {@link RawJson} tokens written as they are. */
function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Percent-encodes as a client would; a lone surrogate goes as its WTF-8 bytes (which are not UTF-8). */
function urlText(value: unknown): string {
  if (value instanceof RawUrlText) return value.text;
  const text = typeof value === 'string' ? value : jsonText(value);
  return Array.from(text, (char) => {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff)
      return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
    return encodeURIComponent(char);
  }).join('');
}

const hostileUrlText = fc.oneof(
  hostileText,
  hostileNumber,
  fc.constantFrom(new RawUrlText('%E0%A4%A'), new RawUrlText('%'), new RawUrlText('%FF'), new RawUrlText('..%2F..')),
);

/** A parameter's value: valid mostly, hostile often, and left out sometimes. */
function parameterArbitrary(parameter: Parameter, hint: fc.Arbitrary<unknown> | undefined): fc.Arbitrary<unknown> {
  const valid = hint ?? validValue(parameter.schema);
  const choices = [
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: hostileUrlText },
  ];
  if (parameter.in !== 'path') choices.push({ weight: 1, arbitrary: fc.constant(undefined) });
  return fc.oneof(...choices);
}

const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'text/csv',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'nonsense',
    '',
  ),
);

const extraHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  fc.record({ 'x-fuzz': hostileText }),
  fc.record({ [CSRF_HEADER]: hostileText }),
  fc.record({ 'stripe-signature': hostileText }),
  fc.record({ 'accept-language': hostileText }),
  // Signed-out callers only: a signed-in caller's own session cookie replaces it.
  fc.record({ cookie: hostileText.map((text) => `${SESSION_COOKIE}=${text}`) }),
);

/** One request, printed short in a failure (its 1 MB strings cut). */
class FuzzRequest {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: Record<string, string>,
    readonly payload: string | undefined,
  ) {}

  [fc.toStringMethod](): string {
    const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} characters)` : text);
    return `${this.method} ${cut(this.url)} ${JSON.stringify(this.headers, (_key, value: unknown) => (typeof value === 'string' ? cut(value) : value))}${this.payload === undefined ? '' : ` ${cut(this.payload)}`}`;
  }
}

function requestArbitrary(operation: Operation, hints: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<FuzzRequest> {
  const parameters = fc.tuple(
    ...operation.parameters.map((parameter) => parameterArbitrary(parameter, parameter.in === 'path' ? hints[parameter.name] : undefined)),
  );
  const sendsBody = operation.method !== 'GET';
  const body = operation.body === undefined ? fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, hostileValue) : bodyArbitrary(operation.body);
  return fc.tuple(parameters, sendsBody ? body : fc.constant(undefined), contentTypes, extraHeaders).map(([values, payload, contentType, headers]) => {
    let path = operation.path;
    const query: string[] = [];
    const requestHeaders: Record<string, string> = { ...headers };
    operation.parameters.forEach((parameter, index) => {
      const value = values[index];
      if (value === undefined) return;
      if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, urlText(value));
      else if (parameter.in === 'query') query.push(`${encodeURIComponent(parameter.name)}=${urlText(value)}`);
      else requestHeaders[parameter.name] = typeof value === 'string' ? value : jsonText(value);
    });
    if (payload !== undefined) requestHeaders['content-type'] = contentType;
    const url = query.length === 0 ? path : `${path}?${query.join('&')}`;
    return new FuzzRequest(operation.method, url, requestHeaders, payload === undefined ? undefined : jsonText(payload));
  });
}

function operationsOf(document: { paths?: Record<string, Record<string, unknown>> }): Operation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, value]) => {
      const operation = value as {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema: JsonSchema }> };
        responses?: Record<string, unknown>;
      };
      return {
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema,
        documents503: operation.responses?.['503'] !== undefined,
      };
    }),
  );
}

describeEachDialect('fuzzing every route', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;

  /** A cheap fingerprint of every data table (rows and a sum of their hashes), in one round trip. */
  let fingerprint: () => Promise<unknown[]>;
  beforeAll(async () => {
    fingerprint = await fingerprintQuery();
  });

  async function fingerprintQuery() {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
      order by table_name
    `.execute(db());
    const parts = tables.rows
      .map((row) => row.table_name)
      .filter((table) => !WRITTEN_ON_REFUSAL.has(table))
      .map((table) => sql`select ${table} as name, count(*)::int as rows, coalesce(sum(hashtext(t::text)), 0)::text as hash from ${sql.table(table)} t`);
    return async () => (await sql.join(parts, sql` union all `).execute(db())).rows;
  }

  /**
   * No 5xx (but a 503 "... Not Configured" where documented), every error problem+json, and on a 4xx the tables as
   * `before`.
   */
  async function expectSound(response: LightMyRequestResponse, request: string, documents503: boolean, before: unknown): Promise<void> {
    const status = response.statusCode;
    const said = `${request} answered ${status} ${response.body.slice(0, 300)}`;
    if (status >= 500) {
      expect(documents503 && status === 503, said).toBe(true);
      expect(response.json<{ title: string }>().title, said).toMatch(/ Not Configured$/);
    }
    if (status >= 400) {
      expect(response.headers['content-type'], said).toMatch(/^application\/problem\+json/);
      expect(response.json(), said).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
    }
    if (status >= 400 && status < 500) expect(await fingerprint(), `${said}: and wrote`).toEqual(before);
  }

  /** A fresh session per request: a fuzzed logout must not sign the next request out. */
  async function cookiesOf(account: SignedIn): Promise<Record<string, string>> {
    const { token } = await createSession(db(), account.accountId, 3_600_000);
    const csrf = csrfTokenFor(token);
    return { cookie: `${SESSION_COOKIE}=${token}; ${CSRF_COOKIE}=${csrf}`, [CSRF_HEADER]: csrf };
  }

  it('answers every request without a 5xx, every error as problem+json, and writes nothing on a 4xx', { timeout: 600_000 }, async () => {
    const owner = await signIn(api(), db());
    const anotherUser = await signIn(api(), db());
    const operator = await signIn(api(), db(), { role: 'operator' });
    const hold = await api().inject({
      method: 'POST',
      url: `/admin/accounts/${owner.accountId}/legal-holds`,
      headers: operator.headers,
      payload: { reason: 'fuzz hold' },
    });
    const accounts: Record<Caller, SignedIn | undefined> = { owner, 'another user': anotherUser, operator, 'signed out': undefined };
    const hints: Record<string, fc.Arbitrary<unknown>> = {
      accountId: fc.oneof({ weight: 4, arbitrary: fc.constant(owner.accountId) }, fc.uuid()),
      holdId: fc.oneof(fc.constant(hold.json<{ id: string }>().id), fc.uuid()),
    };
    const operations = operationsOf(api().swagger() as { paths?: Record<string, Record<string, unknown>> });
    expect(operations.length).toBeGreaterThan(50);

    for (const operation of operations) {
      for (const caller of CALLERS) {
        const account = accounts[caller];
        await fc.assert(
          fc.asyncProperty(requestArbitrary(operation, hints), async (request) => {
            const session = account === undefined ? {} : await cookiesOf(account);
            const before = await fingerprint();
            const response = await api().inject({
              method: request.method as 'GET',
              url: request.url,
              remoteAddress: FUZZER_ADDRESS,
              headers: { ...request.headers, ...session },
              ...(request.payload === undefined ? {} : { payload: request.payload }),
            });
            await expectSound(response, `${operation.key} as ${caller}`, operation.documents503, before);
          }),
          // One seed for every route and caller: the one a failure prints is the FUZZ_SEED that replays it.
          { numRuns: RUNS, seed: SEED },
        );
      }
    }
  });

  it('answers signed Stripe events of any content without a 5xx', { timeout: 600_000 }, async () => {
    const fake = await startFakeStripe();
    const app = await testApi(database(), { payments: { provider: fake.provider, publishableKey: 'pk_test_fuzz' } });
    try {
      const payer = await signIn(app, db());
      const started = await app.inject({
        method: 'POST',
        url: '/billing/top-ups',
        headers: payer.headers,
        payload: { amountMinor: 1000, idempotencyKey: 'fuzz-top-up' },
      });
      const { topUpId } = started.json<{ topUpId: string }>();
      const { payment_intent_id: intentId } = await db().selectFrom('top_ups').select('payment_intent_id').where('id', '=', topUpId).executeTakeFirstOrThrow();
      // Stripe's fields, each the value of a real top-up, a valid-looking one, or a hostile one (JSON can carry NUL).
      const anything = fc.oneof(hostileText, wrongType, fc.constantFrom(1e308, -1, 1.5, Number.MAX_SAFE_INTEGER + 2));
      const field = <T>(real: fc.Arbitrary<T>) => fc.oneof({ weight: 2, arbitrary: real }, anything);
      const event = fc.record({
        type: fc.constantFrom(
          'payment_intent.succeeded',
          'refund.created',
          'refund.updated',
          'charge.dispute.created',
          'charge.dispute.funds_withdrawn',
          'charge.dispute.funds_reinstated',
          'charge.dispute.closed',
          'customer.created',
        ),
        id: fc.oneof(fc.constant(undefined), hostileText),
        object: fc.record(
          {
            id: field(fc.constantFrom(intentId, 're_fuzz', 'dp_fuzz')),
            payment_intent: field(fc.constant(intentId)),
            amount: field(fc.integer({ min: 0, max: 5000 })),
            amount_received: field(fc.integer({ min: 0, max: 5000 })),
            currency: field(fc.constant('usd')),
            status: field(fc.constantFrom('succeeded', 'pending', 'won', 'lost', 'needs_response', 'warning_needs_response', 'warning_closed')),
            reason: field(fc.constant('fraudulent')),
            metadata: field(fc.record({ dialo_top_up_id: field(fc.constant(topUpId)) })),
          },
          { requiredKeys: [] },
        ),
      });
      await fc.assert(
        fc.asyncProperty(event, async ({ type, id, object }) => {
          const { payload, signature } = fake.signedEvent(type, object, id);
          const before = await fingerprint();
          const response = await app.inject({
            method: 'POST',
            url: '/billing/stripe/webhook',
            headers: { 'content-type': 'application/json', 'stripe-signature': signature },
            payload,
          });
          await expectSound(response, `a signed ${type} event`, false, before);
        }),
        { numRuns: RUNS * 20, seed: SEED },
      );
    } finally {
      await app.close();
      await fake.close();
    }
  });
});
