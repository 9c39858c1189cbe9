/**
 * The price of the call in progress, counted up while it runs: GET /calls/quote gives the tariff, and the charge after
 * N seconds follows billing's increments (core/billing/rating.ts `chargeFor`, which the server charges; a test holds
 * the two equal). Amounts are integer micro-units, as on the server; decimals only for display.
 */
export interface CallQuote {
  readonly onNet: boolean;
  /** The echo test number: free. */
  readonly echoTest?: boolean;
  readonly currency: string;
  /** Currency units as decimal strings, e.g. "0.60". */
  readonly pricePerMinute: string;
  readonly connectionFee: string;
  readonly firstIncrement: number;
  readonly nextIncrement: number;
}

const MICROS = 1_000_000;

/** @example microsOf('0.6') // 600000 */
export function microsOf(decimal: string): number {
  const [whole = '0', fraction = ''] = decimal.split('.');
  return Number(whole) * MICROS + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/** What `seconds` of an answered call cost: nothing before the answer, else fee + the billed increments, rounded up once. */
export function costAt(quote: CallQuote, seconds: number): number {
  const talked = Math.floor(seconds);
  if (talked <= 0) return 0;
  const { firstIncrement: first, nextIncrement: next } = quote;
  const billed = talked <= first ? first : first + Math.ceil((talked - first) / next) * next;
  return microsOf(quote.connectionFee) + Math.ceil((microsOf(quote.pricePerMinute) * billed) / 60);
}

/** @example formatAmount(600000) // "0.60"; formatAmount(12300) // "0.0123" */
export function formatAmount(amount: number): string {
  const whole = Math.floor(amount / MICROS);
  const fraction = String(amount % MICROS)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${whole}.${fraction}`;
}

/** The line the call view shows: the price before the answer, the running cost after it. */
export function costLine(quote: CallQuote, connectedSeconds: number | undefined): string {
  if (quote.echoTest === true) return 'Free (echo test)';
  if (quote.onNet) return 'Free call (on-net)';
  const rate = `${formatAmount(microsOf(quote.pricePerMinute))} ${quote.currency.toUpperCase()}/min`;
  if (connectedSeconds === undefined) return rate;
  return `${formatAmount(costAt(quote, connectedSeconds))} ${quote.currency.toUpperCase()} so far (${rate})`;
}
