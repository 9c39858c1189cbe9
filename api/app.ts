/**
 * Builds the HTTP API: plugins first, then one route module per area. Dependencies come in explicitly;
 * nothing here reads config or the environment.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { healthRoutes } from './routes/health.ts';
import type { Stripe } from 'stripe';
import { loadConfig, type BillingConfig } from '../config.ts';
import { registerAuth, type Authenticator } from './plugins/auth.ts';
import { adminBillingRoutes } from './routes/admin-billing.ts';
import { billingRoutes } from './routes/billing.ts';
import { stripeWebhookRoutes } from './routes/stripe-webhook.ts';

/** Card payments, when Stripe keys are configured. */
export interface Payments {
  readonly stripe: Stripe;
  readonly publishableKey: string;
  readonly webhookSecret: string;
}

export interface ApiOptions {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly logger: Logger;
  /** Currency, limits and top-up bounds; the defaults when absent. */
  readonly billing?: BillingConfig;
  /** Without it top-ups answer "payments not configured" (503). */
  readonly payments?: Payments | undefined;
  /** Resolves who is calling (the session plugin supplies it); without one nobody is signed in. */
  readonly authenticate?: Authenticator;
}

export interface ApiDeps {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly logger: Logger;
  readonly billing: BillingConfig;
  readonly payments: Payments | undefined;
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const deps: ApiDeps = { ...options, billing: options.billing ?? loadConfig({}).billing, payments: options.payments };
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; typing it as such keeps FastifyInstance's default generics.
    loggerInstance: deps.logger.child({ role: 'api' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Requests in flight finish on close; idle keep-alive sockets do not hold shutdown up.
    forceCloseConnections: 'idle',
  });
  registerErrorHandling(app);
  healthRoutes(app, deps);
  registerAuth(app, options.authenticate ?? (async () => null));
  billingRoutes(app, deps);
  adminBillingRoutes(app, deps);
  await app.register(stripeWebhookRoutes(deps));
  await app.ready();
  return app;
}
