/**
 * The media-control role's entry: a pool of FreeSWITCH servers and the relay signaling uses for calls whose two
 * ends speak different media. Started by signaling (it needs signaling's drachtio connection) through main.ts.
 */
import type Srf from 'drachtio-srf';
import type { MediaConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { connectMediaServers, type MediaServerPool } from './media-server-pool.ts';
import { FreeSwitchRelay } from './relay.ts';

export interface MediaControl {
  readonly relay: FreeSwitchRelay;
  readonly pool: MediaServerPool;
  /** For `/readyz`: why calls needing a media server would be refused now (none connected), or undefined. */
  notReadyBecause(): string | undefined;
  stop(): void;
}

export function startMediaControl(srf: Srf, config: MediaConfig, logger: Logger): MediaControl {
  const log = logger.child({ role: 'media-control' });
  const pool = connectMediaServers(srf, config, log);
  const names = config.servers.map((server) => `${server.host}:${server.port}`).join(', ');
  return {
    relay: new FreeSwitchRelay(pool, log),
    pool,
    notReadyBecause: () => (pool.connectedCount() > 0 ? undefined : `no media server connected (of ${names})`),
    stop: () => pool.stop(),
  };
}
