import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';

describe('billing config', () => {
  it('has defaults and no payments unless Stripe keys are set', () => {
    const config = loadConfig({});
    expect(config.billing).toEqual({
      currency: 'usd',
      maxConcurrentCalls: 3,
      maxCallSeconds: 14_400,
      reservationGraceSeconds: 180,
      topUpMinMinor: 500,
      topUpMaxMinor: 50_000,
    });
    expect(config.stripe).toBeUndefined();
  });

  it('reads all three Stripe keys', () => {
    const stripe = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_PUBLISHABLE_KEY: 'pk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' }).stripe;
    expect(stripe).toEqual({ secretKey: 'sk_test_1', publishableKey: 'pk_test_1', webhookSecret: 'whsec_1' });
  });

  it.each([
    [{ BILLING_CURRENCY: 'euro' }, 'BILLING_CURRENCY: expected an ISO 4217 currency code such as usd, got "euro"'],
    [{ TOPUP_MIN_MINOR: '1000', TOPUP_MAX_MINOR: '999' }, 'TOPUP_MAX_MINOR: expected at least TOPUP_MIN_MINOR (1000), got "999"'],
    [{ STRIPE_SECRET_KEY: 'sk_test_1' }, 'STRIPE_PUBLISHABLE_KEY: expected set when any STRIPE_* key is set (all three or none), got nothing'],
    [
      { STRIPE_SECRET_KEY: 'oops', STRIPE_PUBLISHABLE_KEY: 'pk_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' },
      'STRIPE_SECRET_KEY: expected a Stripe secret key (sk_...), got "<redacted>"',
    ],
  ])('rejects %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
