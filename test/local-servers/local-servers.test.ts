// What single-machine mode decides from config and PATH, in-process: the variables it reads, what runs without the
// binaries, and that whatever the environment sets wins (here with a real drachtio-server from PATH).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';
import { startLocalServers } from '../../local-servers/local-servers.ts';
import { loadOrCreateSecrets } from '../../local-servers/secrets.ts';
import { createLogger } from '../../logger.ts';
import { findOnPath, freePort } from '../harness/external.ts';

const logger = createLogger('silent');
const drachtioBinary = await findOnPath('drachtio');
if (drachtioBinary === undefined) console.warn('[harness] local-servers environment test skipped: no `drachtio` on PATH');

/** Config for a local drachtio-server from PATH on free ports; MEDIA_SERVERS and WEBRTC_ICE_URLS start no other server. */
async function drachtioOnly(dataDir: string): Promise<Record<string, string | undefined>> {
  return {
    DIALO_DATA_DIR: dataDir,
    PATH: process.env.PATH,
    LOCAL_SIP_PORT: String(await freePort()),
    LOCAL_SIP_WS_PORT: String(await freePort()),
    LOCAL_DRACHTIO_ADMIN_PORT: String(await freePort()),
    MEDIA_SERVERS: '10.0.0.7:8021',
    MEDIA_SERVER_SECRET: 'operator-esl-password',
    WEBRTC_ICE_URLS: 'stun:stun.example.org',
  };
}

describe('single-machine mode', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dialo-local-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads its variables with their defaults; PGlite lives under the data dir', () => {
    const config = loadConfig({});
    expect(config.localServers).toMatchObject({
      mode: 'auto',
      dataDir: './data',
      ports: {
        sip: 5060,
        sipWs: 8088,
        drachtioAdmin: 9022,
        mediaSip: 5080,
        mediaEsl: 8021,
        rtp: { start: 16384, end: 16983 },
        turn: 3478,
        turnRelay: { start: 49152, end: 49251 },
      },
    });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data/pglite' });
    expect(loadConfig({ DIALO_DATA_DIR: '/srv/dialo' }).database).toEqual({ kind: 'pglite', dataDir: '/srv/dialo/pglite' });
    expect(loadConfig({ DIALO_DATA_DIR: '/srv/dialo', PGLITE_DATA_DIR: '/db' }).database).toEqual({ kind: 'pglite', dataDir: '/db' });
    expect(() => loadConfig({ LOCAL_SERVERS: 'on' })).toThrow(new ConfigError('LOCAL_SERVERS', 'one of auto, off', 'on'));
    expect(() => loadConfig({ LOCAL_RTP_PORTS: '20000-10000' })).toThrow('LOCAL_RTP_PORTS: expected a port range such as 16384-16983');
    expect(() => loadConfig({ LOCAL_SIP_WS_PORT: '0' })).toThrow('LOCAL_SIP_WS_PORT: expected an integer from 1 to 65535');
    expect(() => loadConfig({ SIP_SECRET: 'short' })).toThrow('SIP_SECRET: expected a random secret of at least 32 characters');
  });

  it('generates its secrets once (file mode 0600) and reuses them', async () => {
    const first = await loadOrCreateSecrets(dataDir);
    expect(Object.values(first).every((value) => value.length >= 32)).toBe(true);
    expect(await loadOrCreateSecrets(dataDir)).toEqual(first);
    expect(JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8'))).toEqual(first);
  });

  it('without drachtio on PATH it runs nothing and says in one line why calls are off', async () => {
    const config = loadConfig({ DIALO_DATA_DIR: dataDir, PATH: '' });
    const local = await startLocalServers(config, logger);
    expect(local.drachtio).toBeUndefined();
    expect(local.sip).toBeUndefined();
    expect(local.summary).toEqual(["Calls: off — drachtio-server: not found on PATH (`drachtio`); see README.md, 'Getting the servers'"]);
    // De-identification keeps one key across restarts all the same.
    expect(local.privacyHashKey).toBe((await loadOrCreateSecrets(dataDir)).privacyHashKey);
    await local.stop();
  });

  it('starts nothing when DRACHTIO_HOST is set, nor when the signaling role runs elsewhere', async () => {
    const external = await startLocalServers(
      loadConfig({ DIALO_DATA_DIR: dataDir, DRACHTIO_HOST: '10.0.0.5', DRACHTIO_SECRET: 'd'.repeat(24), SIP_SECRET: 's'.repeat(32) }),
      logger,
    );
    expect(external.drachtio).toEqual({ host: '10.0.0.5', port: 9022, secret: 'd'.repeat(24) });
    expect(external.summary[0]).toBe('drachtio-server: 10.0.0.5:9022 (DRACHTIO_HOST)');
    const apiOnly = await startLocalServers(loadConfig({ DIALO_DATA_DIR: dataDir, DIALO_ROLES: 'api,jobs' }), logger);
    expect(apiOnly.drachtio).toBeUndefined();
    expect(apiOnly.summary).toEqual(['Calls: the signaling role does not run in this process (DIALO_ROLES)']);
  });

  it.skipIf(drachtioBinary === undefined)(
    'uses what the environment sets (MEDIA_SERVERS, WEBRTC_ICE_URLS, SIP_SECRET, SIP_WS_URL win), from a relative data dir',
    async () => {
      const config = loadConfig({
        // Relative, as the default ./data is: each server runs in its own folder, so the paths it gets must not be.
        ...(await drachtioOnly(relative(process.cwd(), dataDir))),
        SIP_SECRET: 'o'.repeat(40),
        SIP_WS_URL: 'wss://sip.example.org:8443',
      });
      const local = await startLocalServers(config, logger);
      try {
        expect(local.drachtio).toMatchObject({ host: '127.0.0.1', port: config.localServers.ports.drachtioAdmin });
        expect(local.sip).toMatchObject({ secret: 'o'.repeat(40), webSocketUrl: 'wss://sip.example.org:8443', ice: { urls: ['stun:stun.example.org'] } });
        expect(local.media).toEqual(config.media);
        expect(local.summary).toEqual([
          expect.stringMatching(/^drachtio-server: running \(SIP 127\.0\.0\.1:\d+ udp\/tcp, WebSocket wss:\/\/sip\.example\.org:8443, admin \d+\)$/),
          'FreeSWITCH: 10.0.0.7:8021 (MEDIA_SERVERS)',
          'TURN: stun:stun.example.org (WEBRTC_ICE_URLS)',
        ]);
      } finally {
        await local.stop();
      }
    },
  );

  it.skipIf(drachtioBinary === undefined)('a drachtio secret with XML markup in secrets.json reaches drachtio-server as written', async () => {
    // secrets.json is the operator's to edit; the secret goes into drachtio-server's XML config, not its command line.
    const folder = await mkdtemp(join(tmpdir(), 'dialo-local-markup-'));
    const secret = `"&<'>${'m'.repeat(32)}`;
    await writeFile(join(folder, 'secrets.json'), JSON.stringify({ drachtioSecret: secret }));
    const config = loadConfig(await drachtioOnly(folder));
    const local = await startLocalServers(config, logger);
    try {
      expect(local.summary[0]).toMatch(/^drachtio-server: running/);
      expect(local.drachtio?.secret).toBe(secret);
      const srf = new Srf();
      const handshake = await new Promise<Error | null>((resolve) => {
        srf.on('connect', resolve);
        void srf.connect({ host: '127.0.0.1', port: config.localServers.ports.drachtioAdmin, secret });
      });
      srf.disconnect();
      expect(handshake).toBeNull();
    } finally {
      await local.stop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
