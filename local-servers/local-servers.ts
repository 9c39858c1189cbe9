/**
 * Single-machine mode: decides from config and PATH which servers this process runs itself (drachtio-server,
 * FreeSWITCH, coturn, all on loopback), starts and supervises them, and returns the drachtio/SIP/media settings the
 * roles use. Whatever the environment sets wins: DRACHTIO_HOST means no local server at all, MEDIA_SERVERS no local
 * FreeSWITCH, WEBRTC_ICE_URLS no local TURN, SIP_SECRET and SIP_WS_URL are used as given.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config, DrachtioConfig, MediaConfig, SipConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { drachtioChild } from './drachtio.ts';
import { freeswitchChild } from './freeswitch.ts';
import { findOnPath } from './probes.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import { supervise, type ChildSpec, type Supervised } from './supervisor.ts';
import { turnChild } from './turn.ts';

export interface LocalServers {
  readonly drachtio: DrachtioConfig | undefined;
  readonly sip: SipConfig | undefined;
  readonly media: MediaConfig | undefined;
  readonly privacyHashKey: string | undefined;
  /** One line each: what runs (with its ports), what is missing and how to get it. */
  readonly summary: readonly string[];
  /** Ends every child (SIGTERM, then SIGKILL) and stops restarting them. */
  stop(): Promise<void>;
}

const SEE = "see README.md, 'Getting the servers'";

function asGiven(config: Config, summary: string[]): LocalServers {
  return { drachtio: config.drachtio, sip: config.sip, media: config.media, privacyHashKey: config.privacy.hashKey, summary, stop: async () => undefined };
}

/** Lines for servers the environment names: nothing runs locally. */
function externalSummary(config: Config): string[] {
  const lines = [];
  if (config.drachtio !== undefined) lines.push(`drachtio-server: ${config.drachtio.host}:${config.drachtio.port} (DRACHTIO_HOST)`);
  lines.push(
    config.media === undefined
      ? 'FreeSWITCH: none (MEDIA_SERVERS unset) — calls between browsers and phones/carriers are refused'
      : `FreeSWITCH: ${config.media.servers.map((server) => `${server.host}:${server.port}`).join(', ')} (MEDIA_SERVERS)`,
  );
  return lines;
}

/** Starts a child and waits for it to serve; undefined (and stopped) when it does not, with the reason in `summary`. */
async function startReady(
  spec: ChildSpec,
  logger: Logger,
  label: string,
  summary: string[],
  shutdown: AbortSignal | undefined,
): Promise<Supervised | undefined> {
  const child = supervise(spec, logger, { shutdown });
  try {
    await child.firstReady;
    return child;
  } catch (error) {
    await child.stop(1000);
    summary.push(`${label}: did not start (${(error as Error).message}); its output is in ${spec.logFile}`);
    return undefined;
  }
}

/** `shutdown` aborted (a signal during start-up): children stop at once, and what started is returned to be stopped. */
export async function startLocalServers(config: Config, logger: Logger, shutdown?: AbortSignal): Promise<LocalServers> {
  const local = config.localServers;
  if (config.drachtio !== undefined) return asGiven(config, externalSummary(config));
  if (!config.roles.has('signaling')) return asGiven(config, ['Calls: the signaling role does not run in this process (DIALO_ROLES)']);
  if (local.mode === 'off') return asGiven(config, [`Calls: off — LOCAL_SERVERS=off and DRACHTIO_HOST is not set; set DRACHTIO_* and SIP_SECRET, ${SEE}`]);

  // Absolute: each server runs in its own folder under it, and reads the paths it is given from there.
  const dataDir = resolve(local.dataDir);
  const secrets = await loadOrCreateSecrets(dataDir);
  await mkdir(join(dataDir, 'logs'), { recursive: true });
  const privacyHashKey = config.privacy.hashKey ?? secrets.privacyHashKey;
  const [drachtioBinary, freeswitchBinary, turnBinary] = await Promise.all(
    ['drachtio', 'freeswitch', 'turnserver'].map((binary) => findOnPath(binary, local.searchPath)),
  );
  if (drachtioBinary === undefined) {
    return { ...asGiven(config, [`Calls: off — drachtio-server: not found on PATH (\`drachtio\`); ${SEE}`]), privacyHashKey };
  }

  const { ports } = local;
  const summary: string[] = [];
  const wantTurn = local.sip.ice.urls.length === 0 && turnBinary !== undefined;
  // Started together: FreeSWITCH alone takes seconds, and none of them needs another to come up.
  const [drachtio, freeswitch, turn] = await Promise.all([
    drachtioChild(drachtioBinary, { dataDir, ports: { sip: ports.sip, sipWs: ports.sipWs, admin: ports.drachtioAdmin }, secret: secrets.drachtioSecret }).then(
      (spec) => startReady(spec, logger, 'drachtio-server', summary, shutdown),
    ),
    config.media === undefined && freeswitchBinary !== undefined
      ? freeswitchChild(freeswitchBinary, {
          dataDir,
          ports: { sip: ports.mediaSip, esl: ports.mediaEsl, rtp: ports.rtp },
          eslPassword: secrets.eslPassword,
        }).then((spec) => startReady(spec, logger, 'FreeSWITCH', summary, shutdown))
      : undefined,
    wantTurn
      ? turnChild(turnBinary, { dataDir, ports: { listen: ports.turn, relay: ports.turnRelay }, secret: secrets.turnSecret, realm: local.sip.realm }).then(
          (spec) => startReady(spec, logger, 'TURN', summary, shutdown),
        )
      : undefined,
  ]);
  const running = [drachtio, freeswitch, turn].filter((child): child is Supervised => child !== undefined);
  const stop = async () => void (await Promise.all(running.map((child) => child.stop())));

  if (drachtio === undefined) {
    await stop();
    return { ...asGiven(config, [...summary, `Calls: off — drachtio-server did not start; ${SEE}`]), privacyHashKey };
  }
  const webSocketUrl = local.sip.webSocketUrl ?? `ws://127.0.0.1:${ports.sipWs}`;
  summary.unshift(`drachtio-server: running (SIP 127.0.0.1:${ports.sip} udp/tcp, WebSocket ${webSocketUrl}, admin ${ports.drachtioAdmin})`);

  let media = config.media;
  if (media !== undefined) summary.push(`FreeSWITCH: ${media.servers.map((server) => `${server.host}:${server.port}`).join(', ')} (MEDIA_SERVERS)`);
  else if (freeswitch !== undefined) {
    media = { servers: [{ host: '127.0.0.1', port: ports.mediaEsl }], secret: secrets.eslPassword, ...local.media };
    summary.push(`FreeSWITCH: running (SIP 127.0.0.1:${ports.mediaSip}, event socket ${ports.mediaEsl}, RTP ${ports.rtp.start}-${ports.rtp.end})`);
  } else if (freeswitchBinary === undefined)
    summary.push(`FreeSWITCH: not found on PATH (\`freeswitch\`) — the echo test and calls between browsers and phones/carriers are off; ${SEE}`);

  let ice = local.sip.ice;
  if (ice.urls.length > 0) summary.push(`TURN: ${ice.urls.join(', ')} (WEBRTC_ICE_URLS)`);
  else if (turn !== undefined) {
    ice = { urls: [`turn:127.0.0.1:${ports.turn}?transport=udp`], turnSecret: secrets.turnSecret };
    summary.push(`TURN: running (127.0.0.1:${ports.turn} udp/tcp, relay ${ports.turnRelay.start}-${ports.turnRelay.end})`);
  } else if (turnBinary === undefined)
    summary.push(`TURN: not found on PATH (\`turnserver\`, Debian coturn) — browsers on different networks may not reach each other; ${SEE}`);

  return {
    drachtio: { host: '127.0.0.1', port: ports.drachtioAdmin, secret: secrets.drachtioSecret },
    sip: { ...local.sip, secret: local.sip.secret ?? secrets.sipSecret, webSocketUrl, ice },
    media,
    privacyHashKey,
    summary,
    stop,
  };
}
