/**
 * The FreeSWITCH servers calls' media can run through, each reached over its event socket by drachtio-fsmrf.
 * A server that is down or lost is retried in the background; calls go to the connected one with the fewest sessions.
 */
import type Srf from 'drachtio-srf';
import Mrf from 'drachtio-fsmrf';
import type { Logger } from '../logger.ts';

export interface MediaServerAddress {
  readonly host: string;
  readonly port: number;
}

export interface MediaPoolConfig {
  readonly servers: readonly MediaServerAddress[];
  /** The event-socket password. */
  readonly secret: string;
  /** Where FreeSWITCH connects back to drive each channel (drachtio-fsmrf's outbound event socket). */
  readonly listenAddress: string;
  /** The address FreeSWITCH should use for that, when it differs (NAT, containers). */
  readonly advertisedAddress: string | undefined;
  readonly retryMs: number;
}

export interface MediaServerPool {
  /** The connected server with the fewest sessions, or undefined when none is connected. */
  pick(): Mrf.MediaServer | undefined;
  /** How many servers are connected now. */
  connectedCount(): number;
  /** Resolves once at least one server is connected, or after `timeoutMs` (then false). */
  ready(timeoutMs: number): Promise<boolean>;
  stop(): void;
}

/**
 * @example
 * const pool = connectMediaServers(srf, { servers: [{ host: '127.0.0.1', port: 8021 }], secret, listenAddress: '127.0.0.1', advertisedAddress: undefined, retryMs: 2000 }, logger);
 * const ms = pool.pick();
 */
export function connectMediaServers(srf: Srf, config: MediaPoolConfig, logger: Logger): MediaServerPool {
  const mrf = new Mrf(srf);
  const connected = new Map<string, Mrf.MediaServer>();
  const waiting = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const retryLater = (server: MediaServerAddress) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void connect(server);
    }, config.retryMs);
    timers.add(timer);
  };

  const connect = async (server: MediaServerAddress) => {
    const name = `${server.host}:${server.port}`;
    try {
      const ms = await mrf.connect({
        address: server.host,
        port: server.port,
        secret: config.secret,
        listenAddress: config.listenAddress,
        ...(config.advertisedAddress === undefined ? {} : { advertisedAddress: config.advertisedAddress }),
      });
      if (stopped) return ms.disconnect();
      connected.set(name, ms);
      logger.info({ mediaServer: name }, 'media server connected');
      waiting.forEach((wake) => wake());
      ms.once('end', () => {
        connected.delete(name);
        logger.warn({ mediaServer: name }, 'media server connection lost; retrying');
        ms.disconnect();
        retryLater(server);
      });
    } catch (error) {
      logger.warn({ mediaServer: name, err: (error as Error).message }, 'media server not reachable; retrying');
      retryLater(server);
    }
  };

  for (const server of config.servers) void connect(server);

  return {
    pick() {
      let best: Mrf.MediaServer | undefined;
      for (const ms of connected.values()) {
        if (ms.connected() && (best === undefined || ms.currentSessions < best.currentSessions)) best = ms;
      }
      return best;
    },
    connectedCount: () => connected.size,
    ready(timeoutMs) {
      if (connected.size > 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiting.delete(wake);
          resolve(connected.size > 0);
        };
        const timer = setTimeout(wake, timeoutMs);
        waiting.add(wake);
      });
    },
    stop() {
      stopped = true;
      timers.forEach(clearTimeout);
      connected.forEach((ms) => ms.disconnect());
      connected.clear();
    },
  };
}
