import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { expect, it } from 'vitest';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { processPaymentEvent } from '../../../core/billing/payment-events.ts';
import { PaymentProviderError, type PaymentEvent } from '../../../core/billing/payment-provider.ts';
import { refundTopUp, startTopUp, TopUpAmountError, TopUpKeyReusedError, TopUpNotRefundableError } from '../../../core/billing/top-ups.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { createAccount } from '../../harness/billing.ts';
import { succeededIntent, useFakeStripe } from '../../harness/fake-stripe.ts';
import { stripePayments } from '../../../payments/stripe.ts';

const bounds = { currency: 'usd', minMinor: 500, maxMinor: 50_000 };
const fake = useFakeStripe();

/** The event Stripe would send: signed, then verified exactly as the webhook route does. */
function event(type: string, object: Record<string, unknown>, id?: string): PaymentEvent {
  const { payload, signature } = fake().signedEvent(type, object, id);
  return fake().provider.verifyEvent(payload, signature);
}

describeEachDialect('stripe top-ups and events', (database) => {
  async function paidTopUp(amountMinor = 1000) {
    const { db } = database();
    const accountId = await createAccount(db);
    const started = await startTopUp(db, fake().provider, { accountId, amountMinor, requestKey: crypto.randomUUID() }, bounds);
    const intent = fake().requests.at(-1)!;
    return { db, accountId, started, intent, ...succeededIntent(started, accountId, amountMinor) };
  }

  it('starts a top-up with an idempotency key and the account in metadata; a retry gets the same intent', async () => {
    const { db, accountId, started, intent } = await paidTopUp(2500);
    expect(intent).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      authorization: 'Bearer sk_test_fake',
      idempotencyKey: `dialo-top-up-${started.topUpId}`,
    });
    expect(intent.form).toMatchObject({
      amount: '2500',
      currency: 'usd',
      'metadata[dialo_account_id]': accountId,
      'metadata[dialo_top_up_id]': started.topUpId,
    });
    const requestKey = (await db.selectFrom('top_ups').select('request_key').where('id', '=', started.topUpId).executeTakeFirstOrThrow()).request_key;
    const again = await startTopUp(db, fake().provider, { accountId, amountMinor: 2500, requestKey }, bounds);
    expect(again).toEqual(started);
    await expect(startTopUp(db, fake().provider, { accountId, amountMinor: 3000, requestKey }, bounds)).rejects.toBeInstanceOf(TopUpKeyReusedError);
    await expect(startTopUp(db, fake().provider, { accountId, amountMinor: 499, requestKey: 'other' }, bounds)).rejects.toBeInstanceOf(TopUpAmountError);
    await expect(startTopUp(db, fake().provider, { accountId, amountMinor: 50_001, requestKey: 'other' }, bounds)).rejects.toBeInstanceOf(TopUpAmountError);
    expect((await balanceOf(db, accountId)).balance).toBe(0);
  });

  it('credits once when the same event arrives five times, two of them concurrently', async () => {
    const { db, accountId, succeeded } = await paidTopUp(1000);
    const once = event('payment_intent.succeeded', succeeded);
    const outcomes = await Promise.all([processPaymentEvent(db, once), processPaymentEvent(db, once)]);
    outcomes.push(await processPaymentEvent(db, once), await processPaymentEvent(db, once), await processPaymentEvent(db, once));
    expect(outcomes.filter((outcome) => outcome === 'credited')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(4);
    // A different event about the same payment does not credit again either.
    expect(await processPaymentEvent(db, event('payment_intent.succeeded', succeeded))).toBe('already credited');
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    expect(await db.selectFrom('top_ups').select('status').where('account_id', '=', accountId).executeTakeFirst()).toEqual({ status: 'succeeded' });
  });

  it('holds a refund that arrives before its payment, and takes it off when the payment is credited', async () => {
    const { db, accountId, intentId, succeeded } = await paidTopUp(2000);
    const refund = { id: 're_early', object: 'refund', amount: 500, currency: 'usd', payment_intent: intentId, status: 'pending' };
    expect(await processPaymentEvent(db, event('refund.created', refund))).toBe('refund recorded: waits for its payment');
    expect(await processPaymentEvent(db, event('refund.updated', { ...refund, status: 'succeeded' }))).toBe('refund recorded: waits for its payment');
    // Nothing was taken from the account's other credit for a payment it has not been credited with.
    expect((await balanceOf(db, accountId)).balance).toBe(0);
    expect(await processPaymentEvent(db, event('payment_intent.succeeded', succeeded))).toBe('credited, with 1 refund/dispute entries that waited for it');
    expect((await balanceOf(db, accountId)).balance).toBe(15_000_000);
    // A refund that fails is reversed, whether its failure or its creation is delivered first.
    const failed = { ...refund, id: 're_failed', status: 'failed' };
    expect(await processPaymentEvent(db, event('refund.updated', failed))).toBe('refund failed: reversed');
    expect(await processPaymentEvent(db, event('refund.created', { ...failed, status: 'pending' }))).toBe('already refunded');
    const canceled = { ...refund, id: 're_canceled', status: 'pending' };
    expect(await processPaymentEvent(db, event('refund.created', canceled))).toBe('refunded');
    expect(await processPaymentEvent(db, event('refund.updated', { ...canceled, status: 'canceled' }))).toBe('refund canceled: reversed');
    expect((await balanceOf(db, accountId)).balance).toBe(15_000_000);
  });

  it('takes a dispute off the balance and puts a hold on the account', async () => {
    const { db, accountId, intentId, succeeded } = await paidTopUp(1000);
    await processPaymentEvent(db, event('payment_intent.succeeded', succeeded));
    const dispute = { id: 'dp_1', object: 'dispute', amount: 1000, currency: 'usd', payment_intent: intentId, reason: 'fraudulent', status: 'needs_response' };
    expect(await processPaymentEvent(db, event('charge.dispute.created', dispute))).toBe('disputed');
    expect((await balanceOf(db, accountId)).balance).toBe(0);
    expect(await db.selectFrom('account_holds').select(['account_id', 'kind', 'reference']).where('account_id', '=', accountId).execute()).toEqual([
      { account_id: accountId, kind: 'dispute', reference: 'dp_1' },
    ]);
  });

  it('releases the hold when a dispute closes, gives the money back if won, in either order', async () => {
    const { db, accountId, intentId, succeeded } = await paidTopUp(1000);
    await processPaymentEvent(db, event('payment_intent.succeeded', succeeded));
    const dispute = { id: 'dp_won', object: 'dispute', amount: 1000, currency: 'usd', payment_intent: intentId, reason: 'general', status: 'won' };
    // Closed arrives first, then the (older) created: the win never shows without the loss it undoes.
    expect(await processPaymentEvent(db, event('charge.dispute.closed', dispute))).toBe('dispute closed: won');
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    expect(await processPaymentEvent(db, event('charge.dispute.created', { ...dispute, status: 'needs_response' }))).toBe('already disputed');
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    const lost = { ...dispute, id: 'dp_lost', status: 'lost' };
    expect(await processPaymentEvent(db, event('charge.dispute.created', { ...lost, status: 'needs_response' }))).toBe('disputed');
    expect(await processPaymentEvent(db, event('charge.dispute.closed', lost))).toBe('dispute closed: lost');
    expect((await balanceOf(db, accountId)).balance).toBe(0);
    const entries = await db.selectFrom('ledger_entries').select(['amount', 'reference']).where('account_id', '=', accountId).orderBy('id').execute();
    expect(entries).toEqual([
      { amount: 10_000_000, reference: intentId },
      { amount: -10_000_000, reference: 'dp_won' },
      { amount: 10_000_000, reference: 'dp_won:won' },
      { amount: -10_000_000, reference: 'dp_lost' },
    ]);
    const holds = await db.selectFrom('account_holds').select(['reference', 'released_at']).where('account_id', '=', accountId).orderBy('reference').execute();
    expect(holds.map((hold) => [hold.reference, hold.released_at instanceof Date])).toEqual([
      ['dp_lost', true],
      ['dp_won', true],
    ]);
  });

  it('holds the records for an inquiry but takes nothing; warning_closed releases the hold and the payment stays refundable', async () => {
    const { db, accountId, started, intentId, succeeded } = await paidTopUp(1000);
    await processPaymentEvent(db, event('payment_intent.succeeded', succeeded));
    const inquiry = {
      id: 'dp_inq',
      object: 'dispute',
      amount: 1000,
      currency: 'usd',
      payment_intent: intentId,
      reason: 'general',
      status: 'warning_needs_response',
    };
    expect(await processPaymentEvent(db, event('charge.dispute.created', inquiry))).toBe('inquiry opened: records held, nothing taken');
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    const hold = () => db.selectFrom('account_holds').select(['reference', 'released_at']).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(await hold()).toEqual({ reference: 'dp_inq', released_at: null });
    expect(await processPaymentEvent(db, event('charge.dispute.closed', { ...inquiry, status: 'warning_closed' }))).toBe('dispute closed: warning_closed');
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    expect((await hold()).released_at).toBeInstanceOf(Date);
    // A closed inquiry took nothing and blocks nothing: the operator may still refund the payment.
    await expect(refundTopUp(db, fake().provider, { topUpId: started.topUpId, amountMinor: 400, requestKey: 'after-inquiry' })).resolves.toMatchObject({
      amountMinor: 400,
    });
    expect((await balanceOf(db, accountId)).balance).toBe(6_000_000);
  });

  it('takes an escalated inquiry once whether created or funds_withdrawn says so, and gives it back once on funds_reinstated or won', async () => {
    const { db, accountId, started, intentId, succeeded } = await paidTopUp(1000);
    await processPaymentEvent(db, event('payment_intent.succeeded', succeeded));
    const dispute = { id: 'dp_esc', object: 'dispute', amount: 700, currency: 'usd', payment_intent: intentId, reason: 'fraudulent', status: 'needs_response' };
    expect(await processPaymentEvent(db, event('charge.dispute.funds_withdrawn', dispute))).toBe('disputed');
    expect(await processPaymentEvent(db, event('charge.dispute.created', { ...dispute, status: 'warning_needs_response' }))).toBe(
      'inquiry opened: records held, nothing taken',
    );
    expect(await processPaymentEvent(db, event('charge.dispute.funds_withdrawn', dispute))).toBe('already disputed');
    expect((await balanceOf(db, accountId)).balance).toBe(3_000_000);
    // Under a chargeback the card network decides: no refund through us.
    await expect(refundTopUp(db, fake().provider, { topUpId: started.topUpId, requestKey: 'during-chargeback' })).rejects.toBeInstanceOf(
      TopUpNotRefundableError,
    );
    expect(await processPaymentEvent(db, event('charge.dispute.funds_reinstated', { ...dispute, status: 'won' }))).toBe('dispute funds reinstated');
    expect(await processPaymentEvent(db, event('charge.dispute.closed', { ...dispute, status: 'won' }))).toBe('dispute closed: won');
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    const entries = await db.selectFrom('ledger_entries').select(['amount', 'reference', 'reason']).where('account_id', '=', accountId).orderBy('id').execute();
    expect(entries).toEqual([
      { amount: 10_000_000, reference: intentId, reason: null },
      { amount: -7_000_000, reference: 'dp_esc', reason: 'fraudulent' },
      { amount: 7_000_000, reference: 'dp_esc:won', reason: 'dispute won' },
    ]);
  });

  it('ignores events about payments that are not top-ups, and event types it does not use', async () => {
    const { db } = database();
    expect(
      await processPaymentEvent(
        db,
        event('payment_intent.succeeded', {
          id: 'pi_other',
          object: 'payment_intent',
          amount: 1,
          amount_received: 1,
          currency: 'usd',
          metadata: { dialo_top_up_id: 'not-a-uuid' },
        }),
      ),
    ).toBe('ignored: not a Dialo top-up');
    expect(await processPaymentEvent(db, event('customer.created', { id: 'cus_1', object: 'customer' }))).toBe('ignored: customer.created is not used');
    expect(await balanceMismatches(db)).toEqual([]);
  });

  it('asks Stripe for a refund of a paid top-up only', async () => {
    const { db, accountId, started, intentId, succeeded } = await paidTopUp(1500);
    await expect(refundTopUp(db, fake().provider, { topUpId: started.topUpId, requestKey: 'r1' })).rejects.toBeInstanceOf(TopUpNotRefundableError);
    await processPaymentEvent(db, event('payment_intent.succeeded', succeeded));
    const refund = await refundTopUp(db, fake().provider, { topUpId: started.topUpId, amountMinor: 500, requestKey: 'r1' });
    expect(refund).toMatchObject({ status: 'succeeded', amountMinor: 500 });
    expect(fake().requests.at(-1)).toMatchObject({
      path: '/v1/refunds',
      idempotencyKey: `dialo-refund-${started.topUpId}-r1`,
      form: { payment_intent: intentId, amount: '500' },
    });
    // Taken off at once; given back when Stripe reports that the refund failed after all.
    expect((await balanceOf(db, accountId)).balance).toBe(10_000_000);
    const failed = { id: refund.refundId, object: 'refund', amount: 500, currency: 'usd', payment_intent: intentId, status: 'failed', metadata: {} };
    expect(await processPaymentEvent(db, event('refund.updated', failed))).toBe('refund failed: reversed');
    expect((await balanceOf(db, accountId)).balance).toBe(15_000_000);
  });

  it('says Stripe could not be reached when it cannot be, and changes nothing', async () => {
    const { db, accountId, started, succeeded } = await paidTopUp(1500);
    await processPaymentEvent(db, event('payment_intent.succeeded', succeeded));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = stripePayments(new Stripe('sk_test_fake', { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 }), fake().webhookSecret);
    const refused = refundTopUp(db, unreachable, { topUpId: started.topUpId, amountMinor: 500, requestKey: 'r1' });
    await expect(refused).rejects.toBeInstanceOf(PaymentProviderError);
    await expect(refused).rejects.toThrow('Stripe could not be reached; nothing was changed');
    expect((await balanceOf(db, accountId)).balance).toBe(15_000_000);
  });
});
