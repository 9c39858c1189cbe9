/** Fixtures for billing suites: accounts, credit and a rate, written through the real core functions. */
import type { Kysely } from 'kysely';
import { appendEntry } from '../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../core/billing/rates.ts';
import { micros } from '../../core/money.ts';
import type { Database, Rate } from '../../db/schema.ts';

/** The API's billing settings in these suites: usd, top-ups from 5.00 to 500.00. */
export const TEST_BILLING = {
  currency: 'usd',
  maxConcurrentCalls: 3,
  maxCallSeconds: 3600,
  reservationGraceSeconds: 60,
  topUpMinMinor: 500,
  topUpMaxMinor: 50_000,
};

let counter = 0;

export async function createAccount(db: Kysely<Database>, role: 'user' | 'operator' = 'user'): Promise<string> {
  counter += 1;
  const account = await db
    .insertInto('accounts')
    .values({ email: `billing-${process.pid}-${Date.now()}-${counter}@example.org`, status: 'active', role })
    .returning('id')
    .executeTakeFirstOrThrow();
  return account.id;
}

/** Credits an account by a top-up entry (as a paid top-up would). */
export async function credit(db: Kysely<Database>, accountId: string, amount: number): Promise<void> {
  counter += 1;
  await appendEntry(db, { accountId, kind: 'top_up', amount: micros(amount), reference: `test-credit-${counter}-${Date.now()}` });
}

/** A rate under a prefix unique to this call, effective since 2000. */
export async function createTestRate(
  db: Kysely<Database>,
  fields: { pricePerMinute: string; firstIncrement: number; nextIncrement: number; connectionFee?: string },
): Promise<Rate> {
  counter += 1;
  return createRate(db, toRateInput({ prefix: `99${counter}${Date.now() % 100000}`.slice(0, 15), effectiveFrom: '2000-01-01T00:00:00Z', ...fields }));
}
