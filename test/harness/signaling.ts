/**
 * The signaling role on a real drachtio-server, configured the way an operator would (environment variables
 * through loadConfig), for SIP suites and benchmarks.
 */
import { TEST_VAULT } from './api.ts';
import { loadConfig, type Config } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { createMetrics, type Metrics } from '../../metrics.ts';
import { startMediaControl, type MediaControl } from '../../media-control/media-control.ts';
import type { Agent } from 'node:https';
import { startSignaling, type Signaling } from '../../signaling/app.ts';
import { webPushTransport } from '../../signaling/web-push.ts';
import type { TestDatabase } from './databases.ts';
import { startDrachtio, type DrachtioServer } from './drachtio.ts';

export interface SignalingStack {
  readonly config: Config;
  readonly drachtio: DrachtioServer;
  readonly signaling: Signaling;
  readonly metrics: Metrics;
  /** The media servers, when the env names some (MEDIA_SERVERS). */
  readonly media: MediaControl | undefined;
  /** host:port for sipp (UDP/TCP). */
  readonly target: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Where the role connects instead of drachtio-server's admin port itself (a relay a test can cut). */
  readonly adminRoute?: (admin: { host: string; port: number }) => Promise<{ host: string; port: number }>;
  /** drachtio-server's TLS contact: its certificate, key and the one CA it trusts (test/harness/tls-certs.ts). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** Web Push (with the VAPID keys the env sets) through this TLS agent: one trusting a push-service stand-in's CA. */
  readonly pushAgent?: Agent;
}

export async function startSignalingStack(database: TestDatabase, env: Record<string, string> = {}, options: StackOptions = {}): Promise<SignalingStack> {
  const drachtio = await startDrachtio(options.tls === undefined ? {} : { tls: options.tls });
  // A bad env or a failed connect must not leave the drachtio-server running after the suite.
  try {
    const admin = (await options.adminRoute?.(drachtio.admin)) ?? drachtio.admin;
    const config = loadConfig({
      DRACHTIO_HOST: admin.host,
      DRACHTIO_PORT: String(admin.port),
      DRACHTIO_SECRET: drachtio.admin.secret,
      SIP_SECRET: 's'.repeat(40),
      SIP_REALM: 'dialo.test',
      // No trunk pings unless a suite asks (test/signaling/invite/trunk-health.test.ts): a sipp carrier answers its
      // scenario only, and an OPTIONS to it would count as a failed call.
      TRUNK_PING_INTERVAL_MS: '0',
      ...env,
    });
    const metrics = createMetrics({ processMetrics: false });
    const logger = createLogger(env.LOG_LEVEL === undefined ? 'silent' : config.logLevel);
    let media: MediaControl | undefined;
    const mediaConfig = config.media;
    const vapid = config.push.vapid;
    const signaling = startSignaling({
      db: database.db,
      drachtio: config.drachtio!,
      sip: config.sip!,
      calls: config.calls,
      billing: config.billing,
      abuse: config.abuse,
      vault: TEST_VAULT,
      logger,
      metrics,
      ...(mediaConfig === undefined ? {} : { media: (srf) => (media = startMediaControl(srf, mediaConfig, logger)) }),
      ...(vapid === undefined
        ? {}
        : {
            push: {
              transport: webPushTransport(vapid, config.push.subject, options.pushAgent === undefined ? {} : { agent: options.pushAgent }),
              ringSeconds: config.push.ringSeconds,
              serviceHosts: config.push.serviceHosts,
            },
          }),
    });
    await signaling.connected;
    if (media !== undefined && !(await media.pool.ready(10_000))) throw new Error('no media server connected within 10 s');
    return {
      config,
      drachtio,
      signaling,
      metrics,
      media,
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
