/**
 * `POST /billing/stripe/webhook` through app.inject with real Stripe signatures: what is refused (a signature dated
 * too far either way, a signed event missing a field), and that refunds, disputes and inquiries delivered in any order,
 * any number of times, some at once, never leave more credit from a top-up than it brought nor less than is right.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import type { Database } from '../../../db/schema.ts';
import { startTopUp } from '../../../core/billing/top-ups.ts';
import { createMetrics } from '../../../metrics.ts';
import { WEBHOOK_TOLERANCE_SECONDS } from '../../../payments/stripe.ts';
import { testApi } from '../../harness/api.ts';
import { createAccount, TEST_BILLING } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { succeededIntent, useFakeStripe, type FakeStripe } from '../../harness/fake-stripe.ts';

/** USD cents to micro-units. */
const MICROS_PER_CENT = 10_000;

vi.setConfig({ testTimeout: 300_000 });

const fake = useFakeStripe();

describeEachDialect('stripe webhook', (database) => {
  let app: FastifyInstance;
  const metrics = createMetrics({ processMetrics: false });
  beforeAll(async () => {
    app = await testApi(database(), { billing: TEST_BILLING, metrics, payments: { provider: fake().provider, publishableKey: 'pk_test_fake' } });
  });
  afterAll(() => app?.close());

  const deliver = (signed: { payload: string; signature: string }) =>
    app.inject({
      method: 'POST',
      url: '/billing/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature },
      payload: signed.payload,
    });

  async function topUp(amountMinor: number) {
    const { db } = database();
    const accountId = await createAccount(db);
    const started = await startTopUp(
      db,
      fake().provider,
      { accountId, amountMinor, requestKey: crypto.randomUUID() },
      { currency: 'usd', minMinor: 1, maxMinor: 50_000 },
    );
    return { db, accountId, ...succeededIntent(started, accountId, amountMinor) };
  }

  const openHolds = async (db: Kysely<Database>, accountId: string) =>
    (await db.selectFrom('account_holds').select('id').where('account_id', '=', accountId).where('released_at', 'is', null).execute()).length;

  const claimed = async (eventId: string) => (await database().db.selectFrom('stripe_events').select('id').where('id', '=', eventId).execute()).length === 1;

  it('refuses a signature dated beyond the tolerance either way with a 400 problem, and accepts a little clock skew', async () => {
    const { db, accountId, succeeded } = await topUp(1000);
    const now = Math.floor(Date.now() / 1000);
    for (const signedAt of [now + 3600, now - 3600]) {
      const refused = await deliver(fake().signedEvent('payment_intent.succeeded', succeeded, 'evt_skewed', signedAt));
      expect(refused.statusCode, `signed at now ${signedAt - now} s`).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 400, type: 'https://dialo.dev/problems/payment-signature' });
    }
    expect((await deliver(fake().signedEvent('payment_intent.succeeded', succeeded, 'evt_skewed', now + 3600))).json().detail).toMatch(/in the future/);
    expect((await deliver(fake().signedEvent('payment_intent.succeeded', succeeded, 'evt_skewed', now - 3600))).json().detail).toMatch(/in the past/);
    const noStamp = fake().signedEvent('payment_intent.succeeded', succeeded, 'evt_skewed');
    expect((await deliver({ ...noStamp, signature: noStamp.signature.replace(/t=\d+/, 't=soon') })).statusCode).toBe(400);
    expect(await claimed('evt_skewed')).toBe(false);
    expect((await balanceOf(db, accountId)).balance).toBe(0);
    // A sender whose clock runs a minute ahead is within the tolerance.
    expect(WEBHOOK_TOLERANCE_SECONDS).toBeGreaterThan(60);
    const ahead = await deliver(fake().signedEvent('payment_intent.succeeded', succeeded, 'evt_skewed', now + 60));
    expect(ahead.json()).toEqual({ received: true, outcome: 'credited' });
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
  });

  /** What the metrics registry (scraped at /metrics) counts of signed events with this result. */
  async function paymentEvents(result: 'applied' | 'unreadable'): Promise<number> {
    const text = await metrics.registry.metrics();
    return Number(new RegExp(`^dialo_payment_events_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  }

  it('refuses a signed event missing a field it needs with a 422 problem, unclaimed, so the corrected redelivery applies', async () => {
    const { db, accountId, intentId, succeeded } = await topUp(1000);
    const unreadableBefore = await paymentEvents('unreadable');
    let refusals = 0;
    const { amount_received: _received, ...withoutAmount } = succeeded;
    const dispute = {
      id: 'dp_fields',
      object: 'dispute',
      amount: 300,
      currency: 'usd',
      payment_intent: intentId,
      reason: 'fraudulent',
      status: 'needs_response',
    };
    const { payment_intent: _intent, ...disputeWithoutIntent } = dispute;
    const refund = { id: 're_fields', object: 'refund', amount: 200, currency: 'usd', payment_intent: intentId, status: 'pending' };
    const unreadable: [string, Record<string, unknown>, RegExp][] = [
      ['payment_intent.succeeded', withoutAmount, /data\.object\.amount_received is missing/],
      ['payment_intent.succeeded', { ...succeeded, currency: 42 }, /data\.object\.currency is not/],
      ['refund.created', { ...refund, amount: '200' }, /data\.object\.amount is not/],
      ['refund.updated', { ...refund, id: undefined }, /data\.object\.id is missing/],
      ['charge.dispute.created', disputeWithoutIntent, /data\.object\.payment_intent is missing/],
      ['charge.dispute.closed', { ...dispute, status: null }, /data\.object\.status is not/],
      ['charge.dispute.funds_withdrawn', { ...dispute, amount: 0 }, /data\.object\.amount is not/],
      ['charge.dispute.funds_reinstated', { ...dispute, reason: undefined }, /data\.object\.reason is missing/],
    ];
    for (const [type, object, detail] of unreadable) {
      const signed = fake().signedEvent(type, object);
      const response = await deliver(signed);
      expect(response.statusCode, type).toBe(422);
      refusals++;
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 422,
        type: 'https://dialo.dev/problems/payment-event-unreadable',
        detail: expect.stringMatching(detail),
      });
      expect(await claimed(signed.id)).toBe(false);
    }
    // An event envelope without its object is refused the same way.
    const bare = fake().signedEvent('payment_intent.succeeded', succeeded);
    const noObject = bare.payload.replace(/"data":\{"object":\{.*\}\}\}$/, '"data":{}}');
    expect(noObject).not.toBe(bare.payload);
    const signature = fake().stripe.webhooks.generateTestHeaderString({ payload: noObject, secret: fake().webhookSecret });
    expect((await deliver({ payload: noObject, signature })).statusCode).toBe(422);
    refusals++;
    // Ids the database could not store or index (NUL, a lone surrogate, longer than any of Stripe's) are unreadable too.
    for (const badId of ['evt_\u0000', 'evt_\uD800', `evt_${'a'.repeat(300)}`]) {
      expect((await deliver(fake().signedEvent('customer.created', { id: 'cus_1', object: 'customer' }, badId))).statusCode).toBe(422);
      expect((await deliver(fake().signedEvent('refund.created', { ...refund, id: badId }))).statusCode).toBe(422);
      refusals += 2;
    }
    expect((await balanceOf(db, accountId)).balance).toBe(0);

    // Each refusal is counted where an operator's monitoring sees it.
    expect(await paymentEvents('unreadable')).toBe(unreadableBefore + refusals);
    const appliedBefore = await paymentEvents('applied');

    // Stripe retries the same event id; once it carries the field, it applies.
    expect((await deliver(fake().signedEvent('payment_intent.succeeded', withoutAmount, 'evt_fixed'))).statusCode).toBe(422);
    expect((await deliver(fake().signedEvent('payment_intent.succeeded', succeeded, 'evt_fixed'))).json()).toEqual({ received: true, outcome: 'credited' });
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    expect(await paymentEvents('applied')).toBe(appliedBefore + 1);
  });

  /** One refund or dispute of the top-up, and how it ends. */
  const reversal = <End extends string>(ends: readonly End[]) => fc.record({ amountMinor: fc.integer({ min: 1, max: 300 }), end: fc.constantFrom(...ends) });
  /**
   * Stripe's events over a dispute's life, each with its status and what it tells: records held only (an inquiry),
   * the money taken, or the money back. An inquiry that escalates is a chargeback from its funds_withdrawn on.
   */
  type Step = readonly [type: string, status: string, news: 'held' | 'taken' | 'back'];
  const chargeback = (opening: Step): Record<'won' | 'lost', readonly Step[]> => ({
    won: [
      opening,
      ['charge.dispute.funds_withdrawn', 'needs_response', 'taken'],
      ['charge.dispute.funds_reinstated', 'won', 'back'],
      ['charge.dispute.closed', 'won', 'back'],
    ],
    lost: [opening, ['charge.dispute.funds_withdrawn', 'needs_response', 'taken'], ['charge.dispute.closed', 'lost', 'taken']],
  });
  const inquiry = chargeback(['charge.dispute.created', 'warning_needs_response', 'held']);
  const lives: Record<string, readonly Step[]> = {
    ...chargeback(['charge.dispute.created', 'needs_response', 'taken']),
    'inquiry closed': [
      ['charge.dispute.created', 'warning_needs_response', 'held'],
      ['charge.dispute.closed', 'warning_closed', 'held'],
    ],
    'inquiry won': inquiry.won,
    'inquiry lost': inquiry.lost,
  };
  const scenario = fc
    .record({
      amountMinor: fc.integer({ min: 1000, max: 5000 }),
      refunds: fc.array(reversal(['succeeded', 'failed', 'canceled']), { maxLength: 2 }),
      dispute: fc.option(reversal(Object.keys(lives)), { nil: undefined }),
    })
    .chain((shape) => {
      const events = 1 + 2 * shape.refunds.length + (shape.dispute === undefined ? 0 : lives[shape.dispute.end]!.length);
      // Each event is delivered once or twice; each delivery gets a place in the order and may go at once with the next.
      return fc.record({
        shape: fc.constant(shape),
        copies: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: events, maxLength: events }),
        places: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2 * events, maxLength: 2 * events }),
        together: fc.array(fc.boolean(), { minLength: 2 * events, maxLength: 2 * events }),
      });
    });

  it('never leaves more credit from a top-up than it brought nor less than is right, in any delivery order; the ledger ends the same', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ shape, copies, places, together }) => {
        const { db, accountId, intentId, succeeded } = await topUp(shape.amountMinor);
        const suffix = crypto.randomUUID().slice(0, 8);
        /** Each event with what its delivery tells: the payment, that a reversal's money left, that it came back. */
        const events: {
          signed: ReturnType<FakeStripe['signedEvent']>;
          payment?: true;
          reversal?: number;
          taken?: true;
          back?: true;
          closes?: true;
        }[] = [{ signed: fake().signedEvent('payment_intent.succeeded', succeeded), payment: true }];
        const reversals: { kind: string; id: string; amountMinor: number; end: string; taken: boolean; back: boolean }[] = shape.refunds.map(
          (refund, index) => ({
            kind: 'refund',
            id: `re_${suffix}_${index}`,
            ...refund,
            taken: true,
            back: refund.end !== 'succeeded',
          }),
        );
        for (const [index, refund] of reversals.entries()) {
          const object = { id: refund.id, object: 'refund', amount: refund.amountMinor, currency: 'usd', payment_intent: intentId, metadata: {} };
          events.push({ signed: fake().signedEvent('refund.created', { ...object, status: 'pending' }), reversal: index, taken: true });
          events.push({
            signed: fake().signedEvent('refund.updated', { ...object, status: refund.end }),
            reversal: index,
            taken: true,
            ...(refund.back ? { back: true } : {}),
          });
        }
        if (shape.dispute !== undefined) {
          const life = lives[shape.dispute.end]!;
          const taken = life.some(([, , news]) => news !== 'held');
          const back = life.some(([, , news]) => news === 'back');
          const index = reversals.push({ kind: 'dispute', id: `dp_${suffix}`, ...shape.dispute, taken, back }) - 1;
          const object = {
            id: `dp_${suffix}`,
            object: 'dispute',
            amount: shape.dispute.amountMinor,
            currency: 'usd',
            payment_intent: intentId,
            reason: 'fraudulent',
          };
          for (const [type, status, news] of life) {
            events.push({
              signed: fake().signedEvent(type, { ...object, status }),
              reversal: index,
              ...(news === 'held' ? {} : { taken: true }),
              ...(news === 'back' ? { back: true } : {}),
              ...(type === 'charge.dispute.closed' ? { closes: true } : {}),
            });
          }
        }
        const deliveries = events.flatMap((event, index) => Array.from({ length: copies[index]! }, () => event));
        const order = deliveries.map((event, index) => ({ event, place: places[index]!, together: together[index]! })).sort((a, b) => a.place - b.place);
        const batches: (typeof events)[] = [];
        for (const [index, delivery] of order.entries()) {
          if (index > 0 && order[index - 1]!.together) batches.at(-1)!.push(delivery.event);
          else batches.push([delivery.event]);
        }

        const seen = new Set<(typeof events)[number]>();
        for (const batch of batches) {
          const responses = await Promise.all(batch.map((event) => deliver(event.signed)));
          for (const response of responses) expect(response.statusCode, response.body).toBe(200);
          for (const event of batch) seen.add(event);
          const paid = [...seen].some((event) => event.payment);
          const brought = paid ? shape.amountMinor : 0;
          const left = new Set([...seen].flatMap((event) => (event.taken ? [event.reversal] : [])));
          const cameBack = new Set([...seen].flatMap((event) => (event.back ? [event.reversal] : [])));
          const gone = reversals.filter((_, index) => left.has(index) && !cameBack.has(index)).reduce((sum, item) => sum + item.amountMinor, 0);
          const right = paid ? brought - gone : 0;
          const { available } = await balanceOf(db, accountId);
          expect(available).toBeLessThanOrEqual(brought * MICROS_PER_CENT);
          expect(available).toBeGreaterThanOrEqual(right * MICROS_PER_CENT);
          // Any news of a dispute holds the account's records (retention waits) until its close arrives.
          const disputeNews = [...seen].filter((event) => event.reversal !== undefined && reversals[event.reversal]!.kind === 'dispute');
          const open = disputeNews.length > 0 && !disputeNews.some((event) => event.closes);
          expect(await openHolds(db, accountId)).toBe(open ? 1 : 0);
        }

        const entries = await db.selectFrom('ledger_entries').select(['kind', 'amount', 'reference', 'reason']).where('account_id', '=', accountId).execute();
        // Reasons too: whichever news of a return came first, the entry reads the same.
        const expected = [
          { kind: 'top_up', amount: shape.amountMinor * MICROS_PER_CENT, reference: intentId, reason: null },
          ...reversals.flatMap((item) => [
            ...(item.taken
              ? [{ kind: item.kind, amount: -item.amountMinor * MICROS_PER_CENT, reference: item.id, reason: item.kind === 'refund' ? null : 'fraudulent' }]
              : []),
            ...(item.back
              ? [
                  item.kind === 'refund'
                    ? { kind: item.kind, amount: item.amountMinor * MICROS_PER_CENT, reference: `${item.id}:reversed`, reason: `refund ${item.end}` }
                    : { kind: item.kind, amount: item.amountMinor * MICROS_PER_CENT, reference: `${item.id}:won`, reason: 'dispute won' },
                ]
              : []),
          ]),
        ];
        const sorted = (list: { reference: string | null }[]) => [...list].sort((a, b) => (a.reference ?? '').localeCompare(b.reference ?? ''));
        expect(sorted(entries)).toEqual(sorted(expected));
      }),
      { numRuns: 40 },
    );
  });
});
