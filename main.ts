/**
 * Composition root: config -> logger -> database (migrated) -> local servers (single-machine mode) -> the roles
 * named in config -> graceful shutdown. On SIGTERM/SIGINT it stops taking work, lets work in flight finish (up to
 * SHUTDOWN_GRACE_MS), then closes the database and stops the local servers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitOnConfigError, loadConfigOrExit, type Config } from './config.ts';
import type Srf from 'drachtio-srf';
import Stripe from 'stripe';
import { stripePayments } from './payments/stripe.ts';
import { buildApi, buildHealthServer, buildMetricsServer, type Payments } from './api/app.ts';
import { Readiness } from './core/readiness.ts';
import { connectDatabase, type DatabaseHandle } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { emailDeliveryJob, smtpTransport } from './jobs/email-delivery.ts';
import { emailLogJob } from './jobs/email-log.ts';
import { retentionJob } from './jobs/retention.ts';
import { startScheduler, type Job } from './jobs/scheduler.ts';
import { expireReservationsJob } from './jobs/expire-reservations.ts';
import { closeSilentNodesJob } from './jobs/close-silent-nodes.ts';
import { privacyTools } from './core/privacy/deidentify.ts';
import { createVault, type Vault } from './core/privacy/vault.ts';
import { sealLegacyAccounts } from './core/accounts/legacy-sealing.ts';
import { attemptLimiter } from './core/accounts/throttle.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { sweepExpiredRegistrations } from './core/registrations.ts';
import { startSignaling } from './signaling/app.ts';
import { startMediaControl } from './media-control/media-control.ts';
import { startLocalServers, type LocalServers } from './local-servers/local-servers.ts';
import { privacyMasterKey, vapidKeys } from './local-servers/secrets.ts';
import { webPushTransport } from './signaling/web-push.ts';

/** Signals closer together than this are one request to stop (see shutdown). */
const SAME_SIGNAL_MS = 1000;

/** Where `npm run build:softphone` (run by `npm start` first) puts the app the api role serves at `/`. */
const SOFTPHONE_BUILD = fileURLToPath(new URL('softphone/dist', import.meta.url));

interface RunningRole {
  readonly name: string;
  readonly url?: string;
  stop(): Promise<void>;
}

/** The servers local-servers/ runs (or the environment names) replace what config says of them. */
function withLocalServers(config: Config, local: LocalServers): Config {
  return { ...config, drachtio: local.drachtio, sip: local.sip, media: local.media, privacy: { ...config.privacy, hashKey: local.privacyHashKey } };
}

/**
 * Whether the app offers the echo test: FreeSWITCH answers it, so a signaling role here without a media server would
 * refuse it 488 (a phone with drachtio-server on PATH but no FreeSWITCH). Roles run apart cannot tell: offered.
 */
function echoTestOffered(config: Config): boolean {
  return config.calls.echoTest !== undefined && (config.media !== undefined || !config.roles.has('signaling'));
}

/** The one start-up summary on stdout: where the app is, what serves calls and what is missing. */
function printSummary(roles: readonly RunningRole[], local: LocalServers): void {
  const url = roles.find((role) => role.url !== undefined)?.url;
  const lines = [url === undefined ? 'Dialo started (no api role in this process)' : `Dialo is ready at ${url}`, ...local.summary.map((line) => `  ${line}`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function startRoles(config: Config, database: DatabaseHandle, vault: Vault, logger: Logger, metrics: Metrics): Promise<RunningRole[]> {
  const roles: RunningRole[] = [];
  const vapid = await vapidKeys(config);
  if (vapid === undefined) logger.warn('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY unset with DATABASE_URL: Web Push is off');
  // Filled by the roles below; /readyz (on the api, or on the health server of a process without it) asks them all.
  const readiness = new Readiness();
  if (config.privacy.hashKey === undefined) logger.warn('PRIVACY_HASH_KEY unset: de-identification uses a random key for this process only');
  const tools = privacyTools(config.privacy.hashKey ?? randomBytes(32).toString('hex'), vault);
  if (config.roles.has('api')) {
    const payments: Payments | undefined = config.stripe && {
      provider: stripePayments(new Stripe(config.stripe.secretKey), config.stripe.webhookSecret),
      publishableKey: config.stripe.publishableKey,
    };
    const softphoneBuilt = existsSync(join(SOFTPHONE_BUILD, 'index.html'));
    if (!softphoneBuilt) logger.warn({ dir: SOFTPHONE_BUILD }, 'softphone app not built (npm run build:softphone): only the API is served');
    const api = await buildApi({
      db: database.db,
      copyOut: database.copyOut,
      dialect: database.dialect,
      logger,
      metrics,
      sip: config.sip,
      publicUrl: config.publicUrl,
      sessions: { secureCookies: config.secureCookies, ttlHours: config.sessionTtlHours },
      attempts: attemptLimiter(tools, config.authLimits),
      billing: config.billing,
      payments,
      privacy: { tools, operatorContact: config.privacy.operatorContact, retention: config.privacy.retention },
      abuse: config.abuse,
      defaultCountry: config.calls.defaultCountry,
      mailDelivery: config.smtp === undefined ? 'log' : 'smtp',
      ...(echoTestOffered(config) ? { echoTestNumber: config.calls.echoTest!.number } : {}),
      ...(softphoneBuilt ? { softphoneRoot: SOFTPHONE_BUILD } : {}),
      readiness,
      metricsToken: config.metrics.token,
      trustedProxies: config.trustedProxies,
      ...(vapid === undefined ? {} : { push: { publicKey: vapid.publicKey, serviceHosts: config.push.serviceHosts } }),
    });
    const address = await api.listen({ host: config.http.host, port: config.http.port });
    logger.info({ url: address }, 'api listening');
    process.stdout.write(`Dialo listening at ${address}\n`);
    roles.push({ name: 'api', url: address, stop: () => api.close() });
  }
  if (config.roles.has('signaling')) {
    if (config.drachtio === undefined || config.sip === undefined) {
      logger.warn('signaling role not started: DRACHTIO_HOST is not set');
      // Single-machine mode without drachtio-server on PATH still serves the app (calling "not set up"); a process
      // whose servers the operator runs (LOCAL_SERVERS=off) and that was told to signal cannot do its work.
      if (config.localServers.mode === 'off') readiness.add('signaling', () => 'not started: DRACHTIO_HOST is not set');
    } else {
      const media = config.media;
      const signaling = startSignaling({
        db: database.db,
        drachtio: config.drachtio,
        sip: config.sip,
        logger,
        metrics,
        calls: config.calls,
        billing: config.billing,
        abuse: config.abuse,
        vault,
        ...(media === undefined
          ? {}
          : {
              media: (srf: Srf) => {
                const control = startMediaControl(srf, media, logger);
                readiness.add('media', () => control.notReadyBecause());
                return control;
              },
            }),
        ...(vapid === undefined
          ? {}
          : {
              push: {
                transport: webPushTransport(vapid, config.push.subject),
                ringSeconds: config.push.ringSeconds,
                serviceHosts: config.push.serviceHosts,
              },
            }),
      });
      readiness.add('signaling', () => signaling.notReadyBecause());
      roles.push({ name: 'signaling', stop: () => signaling.stop() });
    }
  }
  if (config.roles.has('jobs')) {
    const jobs: Job[] = [
      {
        name: 'sweep-registrations',
        everyMs: 60_000,
        run: async () => ({ deleted: await sweepExpiredRegistrations(database.db, new Date()) }),
      },
      expireReservationsJob(database.db),
      closeSilentNodesJob(database.db, config.calls.nodeDeadMs),
    ];
    const jobsLogger = logger.child({ role: 'jobs' });
    if (config.smtp !== undefined) jobs.push(emailDeliveryJob(database.db, vault, smtpTransport(config.smtp)));
    else {
      logger.warn('SMTP_URL unset: mail stays in the outbox, and each one is written to this log once, with its links');
      jobs.push(emailLogJob(database.db, vault, jobsLogger));
    }
    jobs.push(retentionJob(database.db, config.privacy.retention, tools));
    const scheduler = startScheduler(jobs, jobsLogger);
    roles.push({ name: 'jobs', stop: () => scheduler.stop() });
  }
  if (!config.roles.has('api')) {
    // A process without the api still answers /healthz and /readyz (and /metrics with a token), for its orchestrator.
    const health = await buildHealthServer({ db: database.db, dialect: database.dialect, metrics, readiness, metricsToken: config.metrics.token }, logger);
    const address = await health.listen({ host: config.http.host, port: config.http.port });
    logger.info({ url: address }, 'health endpoints listening');
    process.stdout.write(`Dialo listening at ${address} (health endpoints only: no api role here)\n`);
    roles.push({ name: 'health', stop: () => health.close() });
  }
  if (config.metrics.listen !== undefined) {
    const scrape = await buildMetricsServer({ metrics, metricsToken: config.metrics.token }, logger);
    const address = await scrape.listen(config.metrics.listen);
    logger.info({ url: address }, 'metrics listening');
    roles.push({ name: 'metrics', stop: () => scrape.close() });
  }
  if (!roles.some((role) => role.name === 'signaling')) {
    // A key destroyed by another node's erasure leaves this node's cache within a poll. Signaling polls the key
    // cache with its other caches (signaling/app.ts); a process without it polls here.
    const keyPoll = setInterval(() => void vault.poll(database.db, Date.now()).catch(() => undefined), 1000);
    keyPoll.unref();
    roles.push({ name: 'key-cache poll', stop: async () => clearInterval(keyPoll) });
  }
  return roles;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Before the database: a node without the master key its peers share must neither migrate nor serve.
  const masterKey = await privacyMasterKey(config).catch(exitOnConfigError);
  const logger = createLogger(config.logLevel);
  const database = connectDatabase(config.database, {
    onConnectionLost: (error) => logger.warn({ err: error.message }, 'database connection lost; the pool replaces it'),
  });
  const applied = await migrateToLatest(database.db);
  logger.info({ dialect: database.dialect, applied }, 'database ready');
  const vault = createVault(masterKey);
  await vault.check(database.db);
  // Before any role reads them: rows an older version wrote in plain text are sealed, and their addresses get a lookup hash.
  const sealed = await sealLegacyAccounts(database.db, vault);
  if (sealed.accounts + sealed.tokens + sealed.mails > 0) logger.info(sealed, 'sealed account data written before sealing');

  // Signals are handled from here on: a Ctrl-C while the local servers start (FreeSWITCH takes seconds) must still
  // stop them, and a process killed by a signal it does not handle runs no 'exit' handler to take its children along.
  const shutdownStarted = new AbortController();
  const started = (async () => {
    // Before the roles: the api hands out the SIP WebSocket URL and secret, signaling connects to drachtio.
    const local = await startLocalServers(config, logger, shutdownStarted.signal);
    if (shutdownStarted.signal.aborted) return { local, roles: [] };
    const roles = await startRoles(withLocalServers(config, local), database, vault, logger, createMetrics());
    printSummary(roles, local);
    return { local, roles };
  })();

  let firstSignalAt = 0;
  const shutdown = async (signal: string) => {
    // A second Ctrl-C means "now": exit at once, and the 'exit' handlers SIGKILL the children (FreeSWITCH ignores
    // SIGINT, and the default handling of a second signal would leave it running). One Ctrl-C under `npm start` arrives
    // twice (the terminal signals the whole process group, and npm passes its copy on): that is still the first.
    if (shutdownStarted.signal.aborted) {
      if (Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting without waiting');
      logger.flush();
      process.exit(1);
    }
    shutdownStarted.abort();
    firstSignalAt = Date.now();
    logger.info({ signal }, 'shutting down');
    // A start that failed has already ended the process (main's catch); one cut short returns what did start.
    const { local, roles } = await started;
    const grace = new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownGraceMs, 'timeout').unref());
    const stopped = Promise.allSettled(roles.map((role) => role.stop()));
    if ((await Promise.race([stopped, grace])) === 'timeout') logger.warn('grace period over; closing with work in flight');
    await Promise.all([database.close(), local.stop()]);
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await started;
}

main().catch((error: unknown) => {
  console.error('dialo: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
