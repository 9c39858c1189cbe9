/**
 * Composition root: config -> logger -> database (migrated) -> the roles named in config -> graceful shutdown.
 * On SIGTERM/SIGINT it stops taking work, lets work in flight finish (up to SHUTDOWN_GRACE_MS), then closes
 * the database.
 */
import { randomBytes } from 'node:crypto';
import { loadConfigOrExit, type Config } from './config.ts';
import { buildApi } from './api/app.ts';
import { connectDatabase, type DatabaseHandle } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { emailDeliveryJob, smtpTransport } from './jobs/email-delivery.ts';
import { retentionJob } from './jobs/retention.ts';
import { startScheduler, type Job } from './jobs/scheduler.ts';
import { privacyTools } from './core/privacy/deidentify.ts';
import { createLogger, type Logger } from './logger.ts';

interface RunningRole {
  readonly name: string;
  stop(): Promise<void>;
}

async function startRoles(config: Config, database: DatabaseHandle, logger: Logger): Promise<RunningRole[]> {
  const roles: RunningRole[] = [];
  if (config.privacy.hashKey === undefined) logger.warn('PRIVACY_HASH_KEY unset: de-identification uses a random key for this process only');
  const tools = privacyTools(config.privacy.hashKey ?? randomBytes(32).toString('hex'));
  if (config.roles.has('api')) {
    const api = await buildApi({
      db: database.db,
      dialect: database.dialect,
      logger,
      publicUrl: config.publicUrl,
      sessions: { secureCookies: config.secureCookies, ttlHours: config.sessionTtlHours },
      privacy: { tools, operatorContact: config.privacy.operatorContact, retention: config.privacy.retention },
    });
    const address = await api.listen({ host: config.http.host, port: config.http.port });
    logger.info({ url: address }, 'api listening');
    process.stdout.write(`Dialo listening at ${address}\n`);
    roles.push({ name: 'api', stop: () => api.close() });
  }
  if (config.roles.has('signaling')) {
    logger.warn('signaling role: no SIP edge is built yet; not started');
  }
  if (config.roles.has('jobs')) {
    const jobs: Job[] = [];
    if (config.smtp !== undefined) jobs.push(emailDeliveryJob(database.db, smtpTransport(config.smtp)));
    else logger.warn('SMTP_URL unset: mail is queued in the outbox but not sent');
    jobs.push(retentionJob(database.db, config.privacy.retention, tools));
    const scheduler = startScheduler(jobs, logger.child({ role: 'jobs' }));
    roles.push({ name: 'jobs', stop: () => scheduler.stop() });
  }
  return roles;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const database = connectDatabase(config.database);
  const applied = await migrateToLatest(database.db);
  logger.info({ dialect: database.dialect, applied }, 'database ready');

  const roles = await startRoles(config, database, logger);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const grace = new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownGraceMs, 'timeout').unref());
    const stopped = Promise.allSettled(roles.map((role) => role.stop()));
    if ((await Promise.race([stopped, grace])) === 'timeout') logger.warn('grace period over; closing with work in flight');
    await database.close();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('dialo: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
