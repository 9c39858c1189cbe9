/**
 * What a call to a number will cost, before it is placed: the price the softphone shows and counts up while the call
 * runs. The same rules the call flow applies (signaling/invite/outbound-call.ts): the echo test's number (exactly as
 * dialled, before any number parsing) and a number hosted here (an on-net call) are free; otherwise the rate in force now for its longest prefix (core/billing/rating.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { findRate, tariffOf, type Tariff } from '../billing/rating.ts';
import { toE164, type E164, type NumberError } from '../numbers.ts';

export type Quote =
  | { readonly kind: 'echo-test'; readonly number: string }
  | { readonly kind: 'on-net'; readonly number: E164 }
  | { readonly kind: 'rated'; readonly number: E164; readonly tariff: Tariff }
  | { readonly kind: 'bad-number'; readonly error: NumberError }
  | { readonly kind: 'not-callable'; readonly number: E164 };

/**
 * @example
 * const quote = await quoteCall(db, '+14155550100', 'US', new Date());
 * if (quote.kind === 'rated') chargeFor(quote.tariff, 90);
 * await quoteCall(db, '*43', 'US', new Date(), '*43'); // { kind: 'echo-test', number: '*43' }
 */
export async function quoteCall(db: Kysely<Database>, dialled: string, defaultCountry: string | undefined, now: Date, echoTestNumber?: string): Promise<Quote> {
  if (echoTestNumber !== undefined && dialled === echoTestNumber) return { kind: 'echo-test', number: dialled };
  const parsed = toE164(dialled, defaultCountry);
  if (!parsed.ok) return { kind: 'bad-number', error: parsed.error };
  const hosted = await db.selectFrom('dids').select('account_id').where('e164', '=', parsed.e164).executeTakeFirst();
  if (hosted?.account_id != null) return { kind: 'on-net', number: parsed.e164 };
  const rate = await findRate(db, parsed.e164, now);
  return rate === null ? { kind: 'not-callable', number: parsed.e164 } : { kind: 'rated', number: parsed.e164, tariff: tariffOf(rate) };
}
