/**
 * The signaling role on a real drachtio-server, configured the way an operator would (environment variables
 * through loadConfig), for SIP suites and benchmarks.
 */
import { loadConfig, type Config } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { createMetrics, type Metrics } from '../../metrics.ts';
import { startSignaling, type Signaling } from '../../signaling/app.ts';
import type { TestDatabase } from './databases.ts';
import { startDrachtio, type DrachtioServer } from './drachtio.ts';

export interface SignalingStack {
  readonly config: Config;
  readonly drachtio: DrachtioServer;
  readonly signaling: Signaling;
  readonly metrics: Metrics;
  /** host:port for sipp (UDP/TCP). */
  readonly target: string;
  stop(): Promise<void>;
}

export async function startSignalingStack(database: TestDatabase, env: Record<string, string> = {}): Promise<SignalingStack> {
  const drachtio = await startDrachtio();
  // A bad env or a failed connect must not leave the drachtio-server running after the suite.
  try {
    const config = loadConfig({
      DRACHTIO_HOST: drachtio.admin.host,
      DRACHTIO_PORT: String(drachtio.admin.port),
      DRACHTIO_SECRET: drachtio.admin.secret,
      SIP_SECRET: 's'.repeat(40),
      SIP_REALM: 'dialo.test',
      ...env,
    });
    const metrics = createMetrics({ processMetrics: false });
    const signaling = startSignaling({
      db: database.db,
      drachtio: config.drachtio!,
      sip: config.sip!,
      calls: config.calls,
      billing: config.billing,
      abuse: config.abuse,
      logger: createLogger(env.LOG_LEVEL === undefined ? 'silent' : config.logLevel),
      metrics,
    });
    await signaling.connected;
    return {
      config,
      drachtio,
      signaling,
      metrics,
      target: `127.0.0.1:${drachtio.sipPort}`,
      async stop() {
        await signaling.stop();
        await drachtio.stop();
      },
    };
  } catch (error) {
    await drachtio.stop();
    throw error;
  }
}
