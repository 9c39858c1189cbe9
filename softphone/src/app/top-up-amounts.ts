/** The amounts a top-up offers within the server's bounds (GET /billing/config), and how the app writes them. */

/** Up to four amounts to offer: the minimum, then the next steps of 1, 2, 5 times a power of ten up to the maximum. */
export function presetAmounts(minMinor: number, maxMinor: number): number[] {
  const steps: number[] = [];
  for (let power = 1; power <= maxMinor && steps.length < 3; power *= 10) {
    for (const step of [1, 2, 5]) if (step * power > minMinor && step * power <= maxMinor && steps.length < 3) steps.push(step * power);
  }
  return [minMinor, ...steps];
}

/** `1000` usd as `10.00 USD` (the currency's own number of decimals, as the balance is shown). */
export function formatMinor(amountMinor: number, currency: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return `${(amountMinor / 10 ** digits).toFixed(digits)} ${currency.toUpperCase()}`;
}
