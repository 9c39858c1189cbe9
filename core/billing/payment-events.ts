/**
 * Applies a signature-verified payment provider event (payment-provider.ts `PaymentEvent`) to the ledger, exactly
 * once per event id: the event id is claimed in `stripe_events` in the same transaction as its effect, so a
 * duplicate (even a concurrent one, which waits on the claim) finds it taken and changes nothing.
 *
 * Events used (Stripe's names, read by payments/stripe.ts): payment_intent.succeeded (credit), refund.created /
 * refund.updated (money taken back; given back if the refund fails or is canceled), charge.dispute.created (a hold on
 * the account's records, and the money taken back unless it is only an inquiry), charge.dispute.funds_withdrawn (the
 * money taken back), charge.dispute.funds_reinstated (the money back), charge.dispute.closed (hold released; the
 * money back if won; an inquiry's `warning_closed` moves none).
 *
 * Refunds and disputes are first recorded as the top-up's reversals (`top_up_reversals`, what we know of each so
 * far), then the ledger entries they call for are written from those rows under the account's lock. So whatever
 * order, repetition or concurrency the events come in, the credit from a top-up is never more than it brought (a
 * win never lands without its loss; nothing is taken back before the payment is credited) and the entries end the
 * same.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, LedgerEntry, TopUp } from '../../db/schema.ts';
import { inTransaction } from '../../db/transaction.ts';
import { fromMinorUnits, negate } from '../money.ts';
import { insertLockedEntry, lockBalance } from './ledger.ts';
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

/** Takes the account's lock, then reads the top-up again: what another event about it committed meanwhile is seen. */
async function lockTopUp(trx: Kysely<Database>, topUp: TopUp): Promise<TopUp> {
  await lockBalance(trx, topUp.account_id);
  return trx.selectFrom('top_ups').selectAll().where('id', '=', topUp.id).executeTakeFirstOrThrow();
}

/** A refund or dispute of a top-up's payment, as far as its ledger entries need it. */
export interface Reversal {
  readonly kind: 'refund' | 'dispute';
  /** The provider's refund or dispute id. */
  readonly id: string;
  readonly amountMinor: number;
  readonly reason: string | null;
  /** Why the money came back after all ('refund failed', 'dispute won'); null while it is gone. */
  readonly returned: string | null;
  /** False for a dispute that is only an inquiry so far: nothing has left us. Refunds always are (the default). */
  readonly withdrawn?: boolean;
  /** For a refund we asked for: the operator's idempotency key. */
  readonly requestKey?: string;
}

/**
 * Writes the entries the top-up's reversals call for that are not there yet: the amount taken and, once it came
 * back, the amount back, in one transaction (no moment shows the back without the taken). Nothing before the
 * payment is credited: until then the top-up brought nothing to take back.
 */
async function settleReversals(trx: Kysely<Database>, topUp: TopUp): Promise<LedgerEntry[]> {
  if (topUp.status !== 'succeeded') return [];
  const rows = await trx.selectFrom('top_up_reversals').selectAll().where('top_up_id', '=', topUp.id).orderBy('created_at').orderBy('id').execute();
  const written: (LedgerEntry | null)[] = [];
  for (const row of rows) {
    if (!row.withdrawn) continue;
    const entry = { accountId: topUp.account_id, kind: row.kind, amount: fromMinorUnits(row.amount_minor, topUp.currency) };
    written.push(
      await insertLockedEntry(trx, { ...entry, amount: negate(entry.amount), reference: row.id, ...(row.reason === null ? {} : { reason: row.reason }) }),
    );
    if (row.returned !== null) {
      written.push(await insertLockedEntry(trx, { ...entry, reference: `${row.id}:${row.kind === 'refund' ? 'reversed' : 'won'}`, reason: row.returned }));
    }
  }
  return written.filter((entry) => entry !== null);
}

/**
 * Records what is now known of a refund or dispute of `topUp` (once it came back, it stays back) and writes the
 * entries that follow, under the account's lock. `waiting`: the payment is not credited yet, so nothing moved.
 * @example await recordReversal(db, topUp, { kind: 'refund', id: 're_1', amountMinor: 500, reason: null, returned: null });
 */
export async function recordReversal(db: Kysely<Database>, topUp: TopUp, reversal: Reversal): Promise<{ waiting: boolean; written: LedgerEntry[] }> {
  return inTransaction(db, async (trx) => {
    const locked = await lockTopUp(trx, topUp);
    await trx
      .insertInto('top_up_reversals')
      .values({
        kind: reversal.kind,
        id: reversal.id,
        top_up_id: topUp.id,
        amount_minor: reversal.amountMinor,
        reason: reversal.reason,
        returned: reversal.returned,
        request_key: reversal.requestKey ?? null,
        withdrawn: reversal.withdrawn ?? true,
      })
      .onConflict((conflict) =>
        conflict.columns(['kind', 'id']).doUpdateSet((eb) => ({
          returned: eb.fn.coalesce('top_up_reversals.returned', 'excluded.returned'),
          // Once news says the money left, it did, whatever older news (the inquiry's opening) arrives later.
          withdrawn: sql<boolean>`top_up_reversals.withdrawn or excluded.withdrawn`,
          request_key: eb.fn.coalesce('top_up_reversals.request_key', 'excluded.request_key'),
          updated_at: new Date(),
        })),
      )
      .execute();
    return { waiting: locked.status !== 'succeeded', written: await settleReversals(trx, locked) };
  });
}

type Payment = Extract<PaymentEvent, { kind: 'payment-succeeded' }>['payment'];

async function paymentSucceeded(trx: Kysely<Database>, intent: Payment): Promise<string> {
  const found = await topUpFor(trx, intent.intentId, intent.metadata);
  if (found === undefined) return 'ignored: not a Dialo top-up';
  if (intent.currency !== found.currency) return `ignored: currency ${intent.currency} is not ${found.currency}`;
  const topUp = await lockTopUp(trx, found);
  await trx
    .updateTable('top_ups')
    .set({ status: 'succeeded', succeeded_at: new Date(), payment_intent_id: intent.intentId })
    .where('id', '=', topUp.id)
    .where('status', '=', 'pending')
    .execute();
  const credit = await insertLockedEntry(trx, {
    accountId: topUp.account_id,
    kind: 'top_up',
    amount: fromMinorUnits(intent.amountReceivedMinor, intent.currency),
    reference: intent.intentId,
  });
  const waited = await settleReversals(trx, { ...topUp, status: 'succeeded' });
  if (credit === null) return 'already credited';
  return waited.length === 0 ? 'credited' : `credited, with ${waited.length} refund/dispute entries that waited for it`;
}

async function refunded(trx: Kysely<Database>, refund: RefundFacts): Promise<string> {
  const topUp = await topUpFor(trx, refund.paymentIntentId, refund.metadata);
  if (topUp === undefined) return 'ignored: not a Dialo top-up';
  if (refund.currency !== topUp.currency) return `ignored: currency ${refund.currency} is not ${topUp.currency}`;
  // No money went back to the card: the refund is given back, whether this news or the refund's creation came first.
  const returned = refund.status === 'failed' || refund.status === 'canceled' ? `refund ${refund.status}` : null;
  const { waiting, written } = await recordReversal(trx, topUp, { kind: 'refund', id: refund.id, amountMinor: refund.amountMinor, reason: null, returned });
  if (waiting) return 'refund recorded: waits for its payment';
  if (returned !== null) return `${returned}: reversed`;
  return written.some((entry) => entry.reference === refund.id) ? 'refunded' : 'already refunded';
}

/** Holds keep the account's records while a dispute is open; a close that comes first leaves the hold released. */
async function holdFor(trx: Kysely<Database>, topUp: TopUp, dispute: DisputeFacts, closed: boolean): Promise<void> {
  const now = new Date();
  await trx
    .insertInto('account_holds')
    .values({ account_id: topUp.account_id, kind: 'dispute', reference: dispute.id, released_at: closed ? now : null })
    .onConflict((conflict) =>
      closed ? conflict.columns(['kind', 'reference']).doUpdateSet({ released_at: now }) : conflict.columns(['kind', 'reference']).doNothing(),
    )
    .execute();
}

/** Stripe's statuses of a dispute that is only an inquiry (a retrieval request): the card network took no money. */
const isInquiry = (status: string) => status.startsWith('warning_');

type DisputeEvent = Extract<PaymentEvent, { dispute: DisputeFacts }>;

/**
 * A chargeback takes the disputed amount back and gives it back if we win; an inquiry moves no money unless it
 * escalates (funds_withdrawn). Every event but an inquiry's opening or `warning_closed` is news that the money left
 * (a chargeback's created and closed, and its funds events), and a win or a reinstatement that it came back, so
 * whichever comes first writes the amount taken (and, if back, the amount back in the same transaction).
 */
async function disputed(trx: Kysely<Database>, { kind, dispute }: DisputeEvent): Promise<string> {
  const topUp = await topUpFor(trx, dispute.paymentIntentId);
  if (topUp === undefined) return 'ignored: not a Dialo top-up';
  if (dispute.currency !== topUp.currency) return `ignored: currency ${dispute.currency} is not ${topUp.currency}`;
  const closed = kind === 'dispute-closed';
  const back = kind === 'dispute-funds-reinstated' || (closed && dispute.status === 'won');
  const withdrawn = back || kind === 'dispute-funds-withdrawn' || !isInquiry(dispute.status);
  // One reason for both news of the money's return, so the entry is the same whichever arrives first.
  const returned = back ? 'dispute won' : null;
  const { waiting, written } = await recordReversal(trx, topUp, {
    kind: 'dispute',
    id: dispute.id,
    amountMinor: dispute.amountMinor,
    reason: dispute.reason,
    returned,
    withdrawn,
  });
  await holdFor(trx, topUp, dispute, closed);
  const what = {
    'dispute-opened': withdrawn ? 'dispute opened' : 'inquiry opened',
    'dispute-funds-withdrawn': 'dispute funds withdrawn',
    'dispute-funds-reinstated': 'dispute funds reinstated',
    'dispute-closed': `dispute closed: ${dispute.status}`,
  }[kind];
  if (waiting) return `${what}; waits for its payment`;
  if (back || closed) return what;
  if (!withdrawn) return `${what}: records held, nothing taken`;
  return written.some((entry) => entry.reference === dispute.id) ? 'disputed' : 'already disputed';
}

function apply(trx: Kysely<Database>, event: PaymentEvent): Promise<string> {
  switch (event.kind) {
    case 'payment-succeeded':
      return paymentSucceeded(trx, event.payment);
    case 'refund':
      return refunded(trx, event.refund);
    case 'dispute-opened':
    case 'dispute-funds-withdrawn':
    case 'dispute-funds-reinstated':
    case 'dispute-closed':
      return disputed(trx, event);
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
