/**
 * Builds the HTTP API: plugins first, then one route module per area. Dependencies come in explicitly;
 * nothing here reads config or the environment.
 */
import cookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { BillingConfig, SipConfig } from '../config.ts';
import type { AbusePolicy } from '../core/abuse/policy.ts';
import type { AttemptLimiter } from '../core/accounts/throttle.ts';
import type { PaymentProvider } from '../core/billing/payment-provider.ts';
import type { PrivacyTools, RetentionWindows } from '../core/privacy/data-source.ts';
import type { CopyOut, DialectName } from '../db/connect.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandling, sendFrameworkProblem, writeClientErrorProblem } from './plugins/errors.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerRequestRules } from './plugins/request-rules.ts';
import { registerSoftphoneApp } from './plugins/softphone-app.ts';
import { sessionAuthenticator, type SessionSettings } from './plugins/session.ts';
import { accountRoutes } from './routes/account.ts';
import { adminAbuseRoutes } from './routes/admin-abuse.ts';
import { adminAccountRoutes } from './routes/admin-accounts.ts';
import { adminAuditRoutes } from './routes/admin-audit.ts';
import { adminBillingRoutes } from './routes/admin-billing.ts';
import { adminCallRoutes } from './routes/admin-calls.ts';
import { adminDashboardRoutes } from './routes/admin-dashboard.ts';
import { adminLiveCallRoutes } from './routes/admin-live-calls.ts';
import { adminSipCredentialRoutes } from './routes/admin-sip-credentials.ts';
import { adminPrivacyRoutes } from './routes/admin-privacy.ts';
import { authRoutes } from './routes/auth.ts';
import { billingRoutes } from './routes/billing.ts';
import { callUsageRoutes } from './routes/call-usage.ts';
import { callRoutes } from './routes/calls.ts';
import { privacyRoutes } from './routes/privacy.ts';
import { pushRoutes } from './routes/push.ts';
import type { Readiness } from '../core/readiness.ts';
import { healthRoutes, type HealthDeps } from './routes/health.ts';
import { metricsRoutes, type MetricsDeps } from './routes/metrics.ts';
import { sipRoutes } from './routes/sip.ts';
import { stripeWebhookRoutes } from './routes/stripe-webhook.ts';

/** Card payments, when Stripe keys are configured: the provider port (payments/stripe.ts) and the browser's key. */
export interface Payments {
  readonly provider: PaymentProvider;
  readonly publishableKey: string;
}

export interface ApiDeps {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** COPY TO STDOUT, where the database has it (Postgres): exports run at the server's speed. */
  readonly copyOut: CopyOut | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Absent when SIP is not configured: SIP routes then answer 503. */
  readonly sip: SipConfig | undefined;
  /** Where users reach the app (e-mail links), e.g. https://dialo.example.org. */
  readonly publicUrl: string;
  readonly sessions: SessionSettings;
  /** How sign-up, login, reset, re-authentication and address changes are counted: AUTH_* under the privacy key. */
  readonly attempts: AttemptLimiter;
  /** Currency, limits and top-up bounds. */
  readonly billing: BillingConfig;
  /** Without it top-ups answer "payments not configured" (503). */
  readonly payments: Payments | undefined;
  readonly privacy: PrivacySettings;
  /** Operator defaults the per-account call limits are shown against. */
  readonly abuse: AbusePolicy;
  /** Country for numbers written in national format (CALL_DEFAULT_COUNTRY), as calls read them. */
  readonly defaultCountry: string | undefined;
  /** How mail leaves: over SMTP, or (SMTP_URL unset) written to the jobs role's log; the app says where to look. */
  readonly mailDelivery: MailDelivery;
  /** The echo test's number (ECHO_TEST_NUMBER), quoted free and told to the softphone; absent when it is off. */
  readonly echoTestNumber?: string;
  /** The built softphone app (a Vite output folder), served at `/`; without it only the API is served. */
  readonly softphoneRoot?: string;
  /** What the other roles in this process add to `/readyz` (signaling's SIP probe). */
  readonly readiness?: Readiness;
  /** Proxies whose X-Forwarded-For gives the client's address (TRUST_PROXY); none: the connection's. */
  readonly trustedProxies?: readonly string[];
  /** METRICS_TOKEN: without it the public port serves no `/metrics` (only METRICS_LISTEN's listener does). */
  readonly metricsToken?: string | undefined;
  /** Web Push's VAPID public key (never the private one); absent: the push routes answer 503. */
  readonly push?: {
    readonly publicKey: string;
    /** PUSH_SERVICE_HOSTS: subscriptions on other hosts are refused; default the known browsers' push services. */
    readonly serviceHosts?: readonly string[];
  };
}

export type MailDelivery = 'smtp' | 'log';

export interface PrivacySettings {
  readonly tools: PrivacyTools;
  /** Where privacy questions go; shown next to the policy. */
  readonly operatorContact: string;
  readonly retention: RetentionWindows;
}

/** Errors Fastify and Node find before any route runs leave as problem+json too (api/plugins/errors.ts). */
const PROBLEMS_FROM_THE_FRAMEWORK = { frameworkErrors: sendFrameworkProblem, clientErrorHandler: writeClientErrorProblem } as const;

/** A quiet Fastify for probes and scrapes: their request lines every few seconds would drown the log. */
function quietServer(logger: Logger, role: string): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger.child({ role }, { level: 'warn' }) as FastifyBaseLogger,
    forceCloseConnections: 'idle',
    ...PROBLEMS_FROM_THE_FRAMEWORK,
  });
  registerErrorHandling(app);
  return app;
}

/**
 * `/healthz` and `/readyz` (and `/metrics` with a token) alone, for a process that runs no api role (signaling or jobs
 * on their own), so its orchestrator can probe it the same way.
 */
export async function buildHealthServer(deps: HealthDeps & MetricsDeps, logger: Logger): Promise<FastifyInstance> {
  const app = quietServer(logger, 'health');
  healthRoutes(app, deps);
  if (deps.metricsToken !== undefined) metricsRoutes(app, deps);
  return app;
}

/** `/metrics` alone, for the listener of METRICS_LISTEN (an address the operator keeps private). */
export async function buildMetricsServer(deps: MetricsDeps, logger: Logger): Promise<FastifyInstance> {
  const app = quietServer(logger, 'metrics');
  metricsRoutes(app, deps);
  return app;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; typing it as such keeps FastifyInstance's default generics.
    loggerInstance: deps.logger.child({ role: 'api' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // The longest path parameter any route takes is 63 characters (a table name); a longer one is a 414 problem.
    routerOptions: { maxParamLength: 100 },
    ...PROBLEMS_FROM_THE_FRAMEWORK,
    // Requests in flight finish on close; idle keep-alive sockets do not hold shutdown up.
    forceCloseConnections: 'idle',
    // request.ip (per-IP limits, logs) is the client's only through proxies the operator named.
    trustProxy: deps.trustedProxies !== undefined && deps.trustedProxies.length > 0 ? [...deps.trustedProxies] : false,
  });
  registerErrorHandling(app);
  // Before the session is looked up and before any route: the rules for every request (text, numbers, types).
  registerRequestRules(app);
  await registerOpenApi(app);
  healthRoutes(app, deps);
  if (deps.metricsToken !== undefined) metricsRoutes(app, deps);
  await app.register(cookie);
  registerAuth(app, sessionAuthenticator(deps.db));
  await app.register(async (scope) => authRoutes(scope, deps));
  sipRoutes(app, deps);
  billingRoutes(app, deps);
  adminAccountRoutes(app, deps);
  adminBillingRoutes(app, deps);
  callRoutes(app, deps);
  callUsageRoutes(app, deps);
  pushRoutes(app, deps);
  adminCallRoutes(app, deps);
  adminDashboardRoutes(app, deps);
  adminLiveCallRoutes(app, deps);
  adminAuditRoutes(app, deps);
  adminSipCredentialRoutes(app, deps);
  adminAbuseRoutes(app, deps);
  await app.register(stripeWebhookRoutes(deps));
  await app.register(async (scope) => accountRoutes(scope, deps));
  await app.register(async (scope) => privacyRoutes(scope, deps));
  await app.register(async (scope) => adminPrivacyRoutes(scope, deps));
  if (deps.softphoneRoot !== undefined) {
    await registerSoftphoneApp(app, deps.softphoneRoot, { cardPayments: deps.payments !== undefined, sipWebSocketUrl: deps.sip?.webSocketUrl });
  }
  await app.ready();
  return app;
}
