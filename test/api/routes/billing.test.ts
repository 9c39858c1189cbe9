import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { signIn, TEST_VAULT, testApi, type SignedIn } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { createAccount, TEST_BILLING } from '../../harness/billing.ts';
import { succeededIntent, useFakeStripe } from '../../harness/fake-stripe.ts';

const HEADER = 'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from';

// Real sign-ins hash with argon2id (19 MiB each): on a loaded 2-core machine a few of them take a while.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

const fake = useFakeStripe();

describeEachDialect('billing API', (database) => {
  let app: FastifyInstance;
  let unpaid: FastifyInstance;
  let user: SignedIn;
  let operator: SignedIn;
  beforeAll(async () => {
    const payments = { provider: fake().provider, publishableKey: 'pk_test_fake' };
    app = await testApi(database(), { billing: TEST_BILLING, payments });
    unpaid = await testApi(database(), { billing: TEST_BILLING });
    user = await signIn(app, database().db);
    operator = await signIn(app, database().db, { role: 'operator' });
  });
  afterAll(async () => {
    await app?.close();
    await unpaid?.close();
  });

  const webhook = (target: FastifyInstance, payload: string, signature: string) =>
    target.inject({ method: 'POST', url: '/billing/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload });

  async function startTopUp(payer: SignedIn, amountMinor: number) {
    const accountId = payer.accountId;
    const response = await app.inject({
      method: 'POST',
      url: '/billing/top-ups',
      headers: payer.headers,
      payload: { amountMinor, idempotencyKey: crypto.randomUUID() },
    });
    expect(response.statusCode).toBe(201);
    const started = response.json<{ topUpId: string; clientSecret: string }>();
    return { ...started, ...succeededIntent(started, accountId, amountMinor) };
  }

  /** The account's balance as its operator sees it. */
  const balance = async (accountId: string) =>
    (await app.inject({ url: `/admin/accounts/${accountId}/balance`, headers: operator.headers })).json<{ balance: string }>().balance;

  it('asks for a signed-in caller, and an operator for operator routes', async () => {
    expect((await app.inject({ url: '/billing/balance' })).statusCode).toBe(401);
    const forbidden = await app.inject({ url: '/admin/rates', headers: user.headers });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await app.inject({ url: '/billing/balance', headers: user.headers })).json()).toEqual({
      currency: 'usd',
      balance: '0.00',
      reserved: '0.00',
      available: '0.00',
    });
  });

  it('serves the publishable key, or none when payments are not configured', async () => {
    expect((await app.inject({ url: '/billing/config' })).json()).toEqual({
      currency: 'usd',
      topUp: { minMinor: 500, maxMinor: 50_000 },
      stripePublishableKey: 'pk_test_fake',
    });
    expect((await unpaid.inject({ url: '/billing/config' })).json()).toMatchObject({ stripePublishableKey: null });
    const refused = await unpaid.inject({
      method: 'POST',
      url: '/billing/top-ups',
      headers: user.headers,
      payload: { amountMinor: 1000, idempotencyKey: 'key-12345678' },
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ title: 'Payments Not Configured' });
  });

  it('lets an operator grant credit by an audited adjustment, with a reason', async () => {
    const { db } = database();
    const target = await createAccount(db);
    const granted = await unpaid.inject({
      method: 'POST',
      url: `/admin/accounts/${target}/adjustments`,
      headers: operator.headers,
      payload: { amount: '2.5', reason: 'welcome credit' },
    });
    expect(granted.statusCode).toBe(201);
    expect(granted.json()).toMatchObject({ kind: 'adjustment', amount: '2.50', reason: 'welcome credit' });
    expect(await balance(target)).toBe('2.50');
    const audit = await db.selectFrom('audit_events').select(['action', 'actor_account_id']).where('subject_account_id', '=', target).execute();
    expect(audit).toEqual([{ action: 'billing.adjustment', actor_account_id: operator.accountId }]);
    for (const payload of [
      { amount: '2.5', reason: '' },
      { amount: '1.2345678', reason: 'x' },
      { amount: '0', reason: 'x' },
      { amount: 'lots', reason: 'x' },
    ]) {
      const bad = await app.inject({ method: 'POST', url: `/admin/accounts/${target}/adjustments`, headers: operator.headers, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const missing = await app.inject({
      method: 'POST',
      url: `/admin/accounts/${crypto.randomUUID()}/adjustments`,
      headers: operator.headers,
      payload: { amount: '1', reason: 'x' },
    });
    expect(missing.statusCode).toBe(404);
    expect(await balance(target)).toBe('2.50');
    expect((await app.inject({ url: `/admin/accounts/${target}/balance`, headers: operator.headers })).json()).toMatchObject({ balance: '2.50' });
  });

  it('starts a top-up within bounds and credits it once however often Stripe delivers the event', async () => {
    const payer = await signIn(app, database().db);
    for (const amountMinor of [499, 50_001]) {
      const bad = await app.inject({
        method: 'POST',
        url: '/billing/top-ups',
        headers: payer.headers,
        payload: { amountMinor, idempotencyKey: crypto.randomUUID() },
      });
      expect(bad.statusCode).toBe(400);
    }
    const started = await startTopUp(payer, 1234);
    expect(started).toMatchObject({ amountMinor: 1234, currency: 'usd' });
    // The publishable key has one source, GET /billing/config.
    expect(started).not.toHaveProperty('stripePublishableKey');
    const { payload, signature } = fake().signedEvent('payment_intent.succeeded', started.succeeded);
    const concurrent = await Promise.all([webhook(app, payload, signature), webhook(app, payload, signature)]);
    const sequential = [await webhook(app, payload, signature), await webhook(app, payload, signature), await webhook(app, payload, signature)];
    const outcomes = [...concurrent, ...sequential].map((response) => {
      expect(response.statusCode).toBe(200);
      return response.json<{ outcome: string }>().outcome;
    });
    expect(outcomes.sort()).toEqual(['credited', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await balance(payer.accountId)).toBe('12.34');
    const receipts = (await app.inject({ url: '/billing/top-ups', headers: payer.headers })).json<{ topUps: { id: string; status: string }[] }>().topUps;
    expect(receipts.filter((receipt) => receipt.status === 'succeeded').map((receipt) => receipt.id)).toEqual([started.topUpId]);
    const receipt = await app.inject({ url: `/billing/top-ups/${started.topUpId}`, headers: payer.headers });
    expect(receipt.json()).toMatchObject({ id: started.topUpId, amountMinor: 1234, status: 'succeeded', paymentReference: started.intentId });
    expect((await app.inject({ url: `/billing/top-ups/${started.topUpId}`, headers: user.headers })).statusCode).toBe(404);
  });

  it('refuses a tampered or unsigned event with 400 and changes nothing', async () => {
    const { db } = database();
    const payer = await signIn(app, db);
    const started = await startTopUp(payer, 1000);
    const { payload, signature } = fake().signedEvent('payment_intent.succeeded', started.succeeded);
    const tampered = payload.replace('"amount_received":1000', '"amount_received":99999');
    expect(tampered).not.toBe(payload);
    expect((await webhook(app, tampered, signature)).statusCode).toBe(400);
    expect((await webhook(app, payload, 't=1,v1=deadbeef')).statusCode).toBe(400);
    const unsigned = await app.inject({ method: 'POST', url: '/billing/stripe/webhook', headers: { 'content-type': 'application/json' }, payload });
    expect(unsigned.statusCode).toBe(400);
    expect(await balance(payer.accountId)).toBe('0.00');
    expect(await db.selectFrom('stripe_events').select('id').where('id', '=', JSON.parse(payload).id).execute()).toEqual([]);
    // The genuine event still credits afterwards: the bad ones did not consume its id.
    expect((await webhook(app, payload, signature)).json()).toMatchObject({ outcome: 'credited' });
  });

  it('receives a webhook through a real port', async () => {
    const payer = await signIn(app, database().db);
    const started = await startTopUp(payer, 700);
    const { payload, signature } = fake().signedEvent('payment_intent.succeeded', started.succeeded);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${address}/billing/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body: payload,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, outcome: 'credited' });
    expect(await balance(payer.accountId)).toBe('7.00');
  });

  const refund = (topUpId: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/admin/top-ups/${topUpId}/refund`, headers: operator.headers, payload });

  /** A top-up of `amountMinor` cents, credited through its signed webhook. */
  async function paidTopUp(amountMinor: number) {
    const payer = await signIn(app, database().db);
    const started = await startTopUp(payer, amountMinor);
    const paid = fake().signedEvent('payment_intent.succeeded', started.succeeded);
    expect((await webhook(app, paid.payload, paid.signature)).json()).toMatchObject({ outcome: 'credited' });
    return { payer, ...started };
  }

  it('refunds a top-up through Stripe at once; the refund webhook finds it done, a retry gets the same refund', async () => {
    const { payer, topUpId, intentId } = await paidTopUp(2000);
    const idempotencyKey = crypto.randomUUID();
    const first = await refund(topUpId, { amountMinor: 500, idempotencyKey, reason: 'customer asked' });
    expect(first.statusCode).toBe(202);
    const { refundId } = first.json<{ refundId: string }>();
    expect(first.json()).toEqual({ refundId, status: 'succeeded', amountMinor: 500 });
    expect(fake().requests.at(-1)).toMatchObject({ path: '/v1/refunds', form: { payment_intent: intentId, amount: '500' } });
    // Money on its way back to the card is not spendable meanwhile.
    expect(await balance(payer.accountId)).toBe('15.00');
    const again = await refund(topUpId, { amountMinor: 500, idempotencyKey, reason: 'customer asked' });
    expect(again.json()).toEqual(first.json());
    const reused = await refund(topUpId, { amountMinor: 400, idempotencyKey, reason: 'customer asked' });
    expect(reused.json()).toMatchObject({
      status: 409,
      type: 'https://dialo.dev/problems/payment-request-refused',
      detail: expect.stringMatching(/same parameters/),
    });
    // The operator's words stay with us, about the account (erasure clears them), not at the provider.
    expect(JSON.stringify(fake().requests.filter((request) => request.path === '/v1/refunds'))).not.toContain('customer asked');
    const requested = await database()
      .db.selectFrom('audit_events')
      .select(['subject_account_id', 'detail'])
      .where('action', '=', 'billing.refund_requested')
      .where('subject_account_id', '=', payer.accountId)
      .executeTakeFirstOrThrow();
    // Sealed under the account's key, as every operator's words about an account.
    expect(requested).toMatchObject({ detail: { refundId, reason: expect.not.stringContaining('customer') } });
    expect(await TEST_VAULT.open(database().db, String(requested.detail.reason))).toBe('customer asked');
    const refunded = fake().signedEvent('refund.created', {
      id: refundId,
      object: 'refund',
      amount: 500,
      currency: 'usd',
      payment_intent: intentId,
      status: 'succeeded',
    });
    expect((await webhook(app, refunded.payload, refunded.signature)).json()).toMatchObject({ outcome: 'already refunded' });
    expect(await balance(payer.accountId)).toBe('15.00');
    // Without an amount, what is left.
    const rest = await refund(topUpId, { idempotencyKey: crypto.randomUUID() });
    expect(rest.json()).toMatchObject({ amountMinor: 1500 });
    expect(await balance(payer.accountId)).toBe('0.00');
  });

  it('answers odd refund input with a 4xx problem and asks Stripe nothing', async () => {
    const { db } = database();
    const { payer, topUpId, intentId } = await paidTopUp(1000);
    const unpaid = await startTopUp(payer, 1000);
    const asked = fake().requests.length;
    const cases: [string, string, Record<string, unknown>, number, RegExp?][] = [
      ['zero', topUpId, { amountMinor: 0, idempotencyKey: 'key-12345678' }, 400],
      ['negative', topUpId, { amountMinor: -5, idempotencyKey: 'key-12345678' }, 400],
      ['a fraction', topUpId, { amountMinor: 1.5, idempotencyKey: 'key-12345678' }, 400],
      ['a huge amount', topUpId, { amountMinor: 1e15, idempotencyKey: 'key-12345678' }, 400],
      ['a string amount', topUpId, { amountMinor: 'all', idempotencyKey: 'key-12345678' }, 400],
      ['more than the top-up', topUpId, { amountMinor: 1001, idempotencyKey: 'key-12345678' }, 400, /at most 1000 usd minor units/],
      ['no key', topUpId, { amountMinor: 100 }, 400],
      ['a key with a line break', topUpId, { amountMinor: 100, idempotencyKey: 'key-1234\r\nX: y' }, 400],
      ['a key outside ASCII', topUpId, { amountMinor: 100, idempotencyKey: 'ключ-12345678' }, 400],
      ['a reason too long for Stripe', topUpId, { amountMinor: 100, idempotencyKey: 'key-12345678', reason: 'x'.repeat(501) }, 400],
      ['an unknown field', topUpId, { amountMinor: 100, idempotencyKey: 'key-12345678', currency: 'eur' }, 400],
      ['a top-up id that is no id', 'not-a-uuid', { amountMinor: 100, idempotencyKey: 'key-12345678' }, 400],
      ['no such top-up', crypto.randomUUID(), { amountMinor: 100, idempotencyKey: 'key-12345678' }, 404],
      ['an unpaid top-up', unpaid.topUpId, { amountMinor: 100, idempotencyKey: 'key-12345678' }, 409, /has not been paid/],
    ];
    for (const [what, id, payload, status, detail] of cases) {
      const response = await refund(id, payload);
      expect(response.statusCode, what).toBe(status);
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      if (detail !== undefined) expect(response.json<{ detail: string }>().detail, what).toMatch(detail);
    }
    expect(fake().requests.length).toBe(asked);

    // Under dispute, the card network decides: no refund.
    const dispute = {
      id: `dp_${crypto.randomUUID()}`,
      object: 'dispute',
      amount: 400,
      currency: 'usd',
      payment_intent: intentId,
      reason: 'fraudulent',
      status: 'needs_response',
    };
    const opened = fake().signedEvent('charge.dispute.created', dispute);
    expect((await webhook(app, opened.payload, opened.signature)).json()).toMatchObject({ outcome: 'disputed' });
    expect((await refund(topUpId, { idempotencyKey: 'key-12345678' })).json()).toMatchObject({ status: 409, detail: expect.stringMatching(/is disputed/) });
    const won = fake().signedEvent('charge.dispute.closed', { ...dispute, status: 'won' });
    expect((await webhook(app, won.payload, won.signature)).json()).toMatchObject({ outcome: 'dispute closed: won' });

    // Refunded in full, then nothing is left.
    expect((await refund(topUpId, { idempotencyKey: 'key-12345678' })).statusCode).toBe(202);
    const nothingLeft = await refund(topUpId, { amountMinor: 1, idempotencyKey: 'key-87654321' });
    expect(nothingLeft.json()).toMatchObject({ status: 409, detail: expect.stringMatching(/refunded in full/) });
    expect(await balance(payer.accountId)).toBe('0.00');
    const audited = await db.selectFrom('audit_events').select('detail').where('action', '=', 'billing.refund_requested').execute();
    expect(audited.filter((row) => (row.detail as { topUpId?: string }).topUpId === topUpId)).toHaveLength(1);
  });

  it('answers a refund Stripe refuses with 409 and its reason, and a Stripe failure with 502 saying so; neither moves credit', async () => {
    const { payer, topUpId } = await paidTopUp(1000);
    // A refund made elsewhere (the Stripe dashboard) whose webhook has not come: Stripe knows less is left than we do.
    fake().failNext(400, {
      type: 'invalid_request_error',
      code: 'amount_too_large',
      message: 'Refund amount (800) is greater than unrefunded amount on charge (300)',
    });
    const refused = await refund(topUpId, { amountMinor: 800, idempotencyKey: crypto.randomUUID() });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      type: 'https://dialo.dev/problems/payment-request-refused',
      detail: 'the payment provider refused the request: Refund amount (800) is greater than unrefunded amount on charge (300)',
    });
    fake().failNext(500, { type: 'api_error', message: 'Something went wrong on our end.' });
    const failed = await refund(topUpId, { amountMinor: 100, idempotencyKey: crypto.randomUUID() });
    expect(failed.statusCode).toBe(502);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.json()).toMatchObject({
      status: 502,
      title: 'Payment Provider Error',
      detail: expect.stringMatching(/^Stripe answered 500 \(StripeAPIError\).*nothing was changed$/),
    });
    expect(await balance(payer.accountId)).toBe('10.00');
  });

  it('pages the ledger history newest first', async () => {
    const owner = await signIn(app, database().db);
    const target = owner.accountId;
    for (const amount of ['1', '2', '3']) {
      await app.inject({
        method: 'POST',
        url: `/admin/accounts/${target}/adjustments`,
        headers: operator.headers,
        payload: { amount, reason: `step ${amount}` },
      });
    }
    const first = (await app.inject({ url: '/billing/ledger?limit=2', headers: owner.headers })).json<{ entries: { amount: string }[]; next: number }>();
    expect(first.entries.map((entry) => entry.amount)).toEqual(['3.00', '2.00']);
    const second = (await app.inject({ url: `/billing/ledger?limit=2&before=${first.next}`, headers: owner.headers })).json<{
      entries: { amount: string }[];
      next: number | null;
    }>();
    expect(second).toMatchObject({ entries: [{ amount: '1.00', kind: 'adjustment', reason: 'step 1' }], next: null });
    expect((await app.inject({ url: '/billing/ledger?limit=0', headers: owner.headers })).statusCode).toBe(400);
    expect((await app.inject({ url: '/billing/ledger?before=100000000000000000000', headers: owner.headers })).statusCode).toBe(400);
  });

  /** The audit events about one rate, oldest first: action, actor, detail. */
  const rateAudits = async (rateId: number) =>
    (
      await database()
        .db.selectFrom('audit_events')
        .select(['action', 'actor_account_id', 'detail'])
        .where('action', 'like', 'billing.rate_%')
        .orderBy('id')
        .execute()
    )
      .filter((event) => (event.detail as { rateId?: number }).rateId === rateId)
      .map((event) => [event.action, event.actor_account_id, event.detail]);

  it('manages rates: create, conflict, list, update, delete', async () => {
    const rate = {
      prefix: '+3531',
      description: 'Dublin',
      pricePerMinute: '0.0123',
      firstIncrement: 30,
      nextIncrement: 6,
      effectiveFrom: '2026-01-01T00:00:00Z',
    };
    const created = await app.inject({ method: 'POST', url: '/admin/rates', headers: operator.headers, payload: rate });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: number }>();
    expect(created.json()).toMatchObject({ prefix: '3531', pricePerMinute: '0.0123', connectionFee: '0.00', effectiveFrom: '2026-01-01T00:00:00.000Z' });
    expect((await app.inject({ method: 'POST', url: '/admin/rates', headers: operator.headers, payload: rate })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: '/admin/rates', headers: operator.headers, payload: { ...rate, pricePerMinute: '-1' } })).statusCode).toBe(
      400,
    );
    const updated = await app.inject({ method: 'PUT', url: `/admin/rates/${id}`, headers: operator.headers, payload: { ...rate, connectionFee: '0.05' } });
    expect(updated.json()).toMatchObject({ id, connectionFee: '0.05' });
    expect((await app.inject({ url: '/admin/rates?prefix=353', headers: operator.headers })).json<{ rates: unknown[] }>().rates).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: `/admin/rates/${id}`, headers: operator.headers })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/admin/rates/${id}`, headers: operator.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PUT', url: `/admin/rates/${id}`, headers: operator.headers, payload: rate })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/admin/rates/100000000000000000000', headers: operator.headers })).statusCode).toBe(400);
    // Each change is audited with its operator; the refused ones are not.
    expect(await rateAudits(id)).toEqual([
      ['billing.rate_created', operator.accountId, { rateId: id, prefix: '3531' }],
      ['billing.rate_updated', operator.accountId, { rateId: id, prefix: '3531' }],
      ['billing.rate_deleted', operator.accountId, { rateId: id }],
    ]);
  });

  it('imports a rates CSV, or reports each bad line and imports nothing', async () => {
    const csv = (lines: string[]) => ({
      method: 'POST' as const,
      url: '/admin/rates/import',
      headers: { ...operator.headers, 'content-type': 'text/csv' },
      payload: [HEADER, ...lines].join('\n'),
    });
    const good = await app.inject(csv(['61,Australia,0.03,60,60,0,2026-01-01T00:00:00Z', '612,Sydney,0.02,60,60,0,2026-01-01T00:00:00Z']));
    expect(good.json()).toEqual({ imported: 2 });
    const imports = () =>
      database()
        .db.selectFrom('audit_events')
        .select(['actor_account_id', 'detail'])
        .where('action', '=', 'billing.rates_imported')
        .where('actor_account_id', '=', operator.accountId)
        .execute();
    expect(await imports()).toEqual([{ actor_account_id: operator.accountId, detail: { imported: 2 } }]);
    const bad = await app.inject(
      csv(['64,NZ,0.03,60,60,0,2026-01-01T00:00:00Z', '65,SG,cheap,60,60,0,2026-01-01T00:00:00Z', 'x,bad,0.03,60,60,0,2026-01-01T00:00:00Z']),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400, errors: [{ path: 'line 3' }, { path: 'line 4' }] });
    expect((await app.inject({ url: '/admin/rates?prefix=64', headers: operator.headers })).json()).toEqual({ rates: [] });
    const wrongType = await app.inject({ method: 'POST', url: '/admin/rates/import', headers: operator.headers, payload: { csv: 'x' } });
    expect(wrongType.statusCode).toBe(415);
    // Only the import that wrote rates is in the audit log.
    expect(await imports()).toHaveLength(1);
  });
});
