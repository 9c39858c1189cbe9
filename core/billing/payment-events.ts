/**
 * Applies a signature-verified payment provider event (payment-provider.ts `PaymentEvent`) to the ledger, exactly
 * once per event id: the event id is claimed in `stripe_events` in the same transaction as its effect, so a
 * duplicate (even a concurrent one, which waits on the claim) finds it taken and changes nothing. Effects are keyed
 * by the provider's object (payment intent, refund, dispute), so any delivery order gives the same ledger.
 *
 * Events used (Stripe's names, read by payments/stripe.ts): payment_intent.succeeded (credit), refund.created /
 * refund.updated (negative entry; reversed if the refund fails), charge.dispute.created (negative entry + a hold on
 * the account's records), charge.dispute.closed (hold released; the amount back if won).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { fromMinorUnits, negate } from '../money.ts';
import { appendEntry } from './ledger.ts';
import type { DisputeFacts, PaymentEvent, PaymentMetadata, RefundFacts } from './payment-provider.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds the top-up (and so the account) a payment belongs to: by intent id, or by the top-up id we put in
 * the intent's metadata (the webhook can beat our own write of the intent id).
 */
async function topUpFor(trx: Kysely<Database>, paymentIntentId: string | null, metadata?: PaymentMetadata | null) {
  const topUpId = metadata?.dialo_top_up_id;
  const byId = topUpId !== undefined && UUID.test(topUpId) ? topUpId : undefined;
  if (paymentIntentId === null && byId === undefined) return undefined;
  return trx
    .selectFrom('top_ups')
    .selectAll()
    .where((eb) =>
      eb.or([...(paymentIntentId === null ? [] : [eb('payment_intent_id', '=', paymentIntentId)]), ...(byId === undefined ? [] : [eb('id', '=', byId)])]),
    )
    .executeTakeFirst();
}

type Payment = Extract<PaymentEvent, { kind: 'payment-succeeded' }>['payment'];

async function paymentSucceeded(trx: Kysely<Database>, intent: Payment): Promise<string> {
  const topUp = await topUpFor(trx, intent.intentId, intent.metadata);
  if (topUp === undefined) return 'ignored: not a Dialo top-up';
  if (intent.currency !== topUp.currency) return `ignored: currency ${intent.currency} is not ${topUp.currency}`;
  await trx
    .updateTable('top_ups')
    .set({ status: 'succeeded', succeeded_at: new Date(), payment_intent_id: intent.intentId })
    .where('id', '=', topUp.id)
    .execute();
  const entry = await appendEntry(trx, {
    accountId: topUp.account_id,
    kind: 'top_up',
    amount: fromMinorUnits(intent.amountReceivedMinor, intent.currency),
    reference: intent.intentId,
  });
  return entry === null ? 'already credited' : 'credited';
}

async function refunded(trx: Kysely<Database>, refund: RefundFacts): Promise<string> {
  const topUp = await topUpFor(trx, refund.paymentIntentId, refund.metadata);
  if (topUp === undefined) return 'ignored: not a Dialo top-up';
  const amount = fromMinorUnits(refund.amountMinor, refund.currency);
  const entry = await appendEntry(trx, { accountId: topUp.account_id, kind: 'refund', amount: negate(amount), reference: refund.id });
  if (refund.status !== 'failed' && refund.status !== 'canceled') return entry === null ? 'already refunded' : 'refunded';
  // No money went back to the card: the refund entry (written now if this news came first) is reversed,
  // so the pair nets to zero whichever of pending/failed arrives first.
  await appendEntry(trx, { accountId: topUp.account_id, kind: 'refund', amount, reference: `${refund.id}:reversed`, reason: `refund ${refund.status}` });
  return `refund ${refund.status}: reversed`;
}

async function disputed(trx: Kysely<Database>, dispute: DisputeFacts): Promise<string> {
  const topUp = await topUpFor(trx, dispute.paymentIntentId);
  if (topUp === undefined) return 'ignored: not a Dialo top-up';
  // The provider takes the disputed amount back when the dispute opens.
  await appendEntry(trx, {
    accountId: topUp.account_id,
    kind: 'dispute',
    amount: negate(fromMinorUnits(dispute.amountMinor, dispute.currency)),
    reference: dispute.id,
    reason: dispute.reason,
  });
  await trx
    .insertInto('account_holds')
    .values({ account_id: topUp.account_id, kind: 'dispute', reference: dispute.id })
    .onConflict((conflict) => conflict.columns(['kind', 'reference']).doNothing())
    .execute();
  return 'disputed';
}

/**
 * A closed dispute releases the hold; a won one gives the amount back. Written so that a `closed` that
 * arrives before its `created` still ends released and netting to zero: the hold row is created here
 * already released, and `created` leaves an existing row alone.
 */
async function disputeClosed(trx: Kysely<Database>, dispute: DisputeFacts): Promise<string> {
  const topUp = await topUpFor(trx, dispute.paymentIntentId);
  if (topUp === undefined) return 'ignored: not a Dialo top-up';
  const now = new Date();
  await trx
    .insertInto('account_holds')
    .values({ account_id: topUp.account_id, kind: 'dispute', reference: dispute.id, released_at: now })
    .onConflict((conflict) => conflict.columns(['kind', 'reference']).doUpdateSet({ released_at: now }))
    .execute();
  if (dispute.status !== 'won') return `dispute closed: ${dispute.status}`;
  await appendEntry(trx, {
    accountId: topUp.account_id,
    kind: 'dispute',
    amount: fromMinorUnits(dispute.amountMinor, dispute.currency),
    reference: `${dispute.id}:won`,
    reason: 'dispute won',
  });
  return 'dispute won';
}

function apply(trx: Kysely<Database>, event: PaymentEvent): Promise<string> {
  switch (event.kind) {
    case 'payment-succeeded':
      return paymentSucceeded(trx, event.payment);
    case 'refund':
      return refunded(trx, event.refund);
    case 'dispute-opened':
      return disputed(trx, event.dispute);
    case 'dispute-closed':
      return disputeClosed(trx, event.dispute);
    case 'other':
      return Promise.resolve(`ignored: ${event.type} is not used`);
  }
}

/**
 * Processes one verified event; returns what it did, or 'duplicate' when its id was processed before.
 * @example
 * const event = payments.verifyEvent(rawBody, signature);
 * await processPaymentEvent(db, event);
 */
export async function processPaymentEvent(db: Kysely<Database>, event: PaymentEvent): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto('stripe_events')
      .values({ id: event.id, type: event.type, outcome: 'processing' })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (claimed === undefined) return 'duplicate';
    const outcome = await apply(trx, event);
    await trx.updateTable('stripe_events').set({ outcome }).where('id', '=', event.id).execute();
    return outcome;
  });
}
