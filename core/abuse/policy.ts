/**
 * The operator's toll-fraud settings (from config), shared by the call rules (checked before credit is
 * reserved), the per-account limits over them, and the pattern detection that suspends outbound calling.
 */
import type { Micros } from '../money.ts';

/** In an allowed-country list: any destination. */
export const ANY_COUNTRY = '*';

export interface CallLimits {
  /** Outbound calls in progress at once. */
  readonly maxConcurrentCalls: number;
  /** Outbound call attempts in any 60 s (refused ones count: hammering keeps you refused); 0: no limit. */
  readonly callsPerMinute: number;
  /** Most spent on calls in any 24 h, holds of calls in progress included; 0: no cap. */
  readonly dailySpendCap: Micros;
  /** ISO 3166 alpha-2 codes outbound calls may go to, or [ANY_COUNTRY]. */
  readonly allowedCountries: readonly string[];
}

/** The limits that can be set tighter for new accounts (destinations are the same for everyone). */
export type NumericLimits = Omit<CallLimits, 'allowedCountries'>;

export interface AbusePolicy {
  readonly defaults: CallLimits;
  /**
   * A new account is one whose e-mail address is not verified yet, or younger than `days` (0: only
   * unverified ones): fraud mostly comes from fresh sign-ups. Its limits are the tighter of `limits` and the
   * defaults; an operator's per-account limits override both.
   */
  readonly newAccount: { readonly days: number; readonly limits: NumericLimits };
  /** Refuse numbers the number plan lists as premium rate (libphonenumber-js), besides blocked prefixes. */
  readonly blockPremiumRate: boolean;
  /**
   * A burst: answered calls of at most `shortCallSeconds` to at least `destinations` different numbers within
   * `windowSeconds` (0 destinations: off). Typical of pumping traffic to numbers that pay out per call.
   */
  readonly burst: { readonly windowSeconds: number; readonly shortCallSeconds: number; readonly destinations: number };
  /**
   * A spike: charged in the last hour at least `minSpend` and more than `factor` times the account's average
   * hourly spend over the `baselineDays` before (factor 0: off).
   */
  readonly spike: { readonly factor: number; readonly minSpend: Micros; readonly baselineDays: number };
  /** Where suspension alerts are mailed. */
  readonly alertEmail: string;
}
