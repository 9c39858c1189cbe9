// The softphone counts a call's cost up in the browser (it imports no server code); what it shows must be what billing
// charges. Each tariff goes through the API's formatting (GET /calls/quote) as it would reach the app.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeFor, type Tariff } from '../../../core/billing/rating.ts';
import { formatDecimal, micros } from '../../../core/money.ts';
import { ECHO_TEST_LABEL, partyName } from '../../../softphone/src/app/echo-test.ts';
import { costAt, costLine, formatAmount, microsOf, type CallQuote } from '../../../softphone/src/app/live-cost.ts';

const tariffs = fc.record({
  pricePerMinute: fc.integer({ min: 0, max: 50_000_000 }).map(micros),
  firstIncrement: fc.integer({ min: 1, max: 120 }),
  nextIncrement: fc.integer({ min: 1, max: 120 }),
  connectionFee: fc.integer({ min: 0, max: 5_000_000 }).map(micros),
});

function quoteOf(tariff: Tariff): CallQuote {
  return {
    onNet: false,
    currency: 'usd',
    pricePerMinute: formatDecimal(tariff.pricePerMinute),
    connectionFee: formatDecimal(tariff.connectionFee),
    firstIncrement: tariff.firstIncrement,
    nextIncrement: tariff.nextIncrement,
  };
}

describe('live cost in the softphone', () => {
  it('equals what billing charges, for any tariff and call length', () => {
    fc.assert(
      fc.property(tariffs, fc.integer({ min: 0, max: 14_400 }), (tariff, seconds) => {
        expect(costAt(quoteOf(tariff), seconds)).toBe(chargeFor(tariff, seconds));
      }),
    );
  });

  it("reads and writes the API's decimal amounts exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), (amount) => {
        expect(microsOf(formatDecimal(micros(amount)))).toBe(amount);
        expect(microsOf(formatAmount(amount))).toBe(amount);
      }),
    );
  });

  it('shows the price before the answer, the running cost after it, and free for on-net calls', () => {
    const quote: CallQuote = { onNet: false, currency: 'usd', pricePerMinute: '0.6', connectionFee: '0', firstIncrement: 60, nextIncrement: 60 };
    expect(costLine(quote, undefined)).toBe('0.60 USD/min');
    expect(costLine(quote, 0.4)).toBe('0.00 USD so far (0.60 USD/min)');
    expect(costLine(quote, 61)).toBe('1.20 USD so far (0.60 USD/min)');
    expect(costLine({ ...quote, onNet: true }, 30)).toBe('Free call (on-net)');
  });

  it('shows the echo test as free, as GET /calls/quote answers it', () => {
    const echo: CallQuote = { onNet: false, echoTest: true, currency: 'usd', pricePerMinute: '0', connectionFee: '0', firstIncrement: 1, nextIncrement: 1 };
    expect(costLine(echo, undefined)).toBe('Free (echo test)');
    expect(costLine(echo, 42)).toBe('Free (echo test)');
  });

  it('names the echo test "Echo test" however SIP.js spells its number, and nothing else', () => {
    expect(partyName('*43', '*43')).toBe(ECHO_TEST_LABEL);
    expect(partyName('%2A43', '*43')).toBe(ECHO_TEST_LABEL);
    expect(partyName('*44', '*43')).toBe('*44');
    expect(partyName('*43', null)).toBe('*43');
    expect(partyName('%E0%A4%A', '*43')).toBe('%E0%A4%A');
  });
});
