/**
 * A real TURN server (coturn, Debian's `coturn`: `turnserver` on PATH) on loopback for browser suites, checking
 * credentials the way the app issues them (TURN REST: `use-auth-secret`); skipped with one line when absent (fails
 * under CI=true).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { turnChild } from '../../local-servers/turn.ts';
import { findOnPath, freePort, missingServer, spawnServer, udpBound } from './external.ts';

export const turnBinary = await findOnPath('turnserver');
if (turnBinary === undefined) missingServer('TURN suites', 'TURN server not available: no `turnserver` on PATH (Debian coturn)');

export interface TurnServer {
  /** For WEBRTC_ICE_URLS. */
  readonly url: string;
  /** For WEBRTC_TURN_SECRET. */
  readonly secret: string;
  stop(): Promise<void>;
}

export async function startTurnServer(realm: string): Promise<TurnServer> {
  if (turnBinary === undefined) throw new Error('no `turnserver` on PATH');
  const port = await freePort();
  // Relay ports from this worker's own range, above the FreeSWITCH ones (test/harness/freeswitch.ts) and below 32768.
  const block = Number(process.env.VITEST_POOL_ID ?? process.pid) % 4;
  const relayFrom = 32_400 + block * 90;
  const secret = randomBytes(16).toString('hex');
  const folder = await mkdtemp(join(tmpdir(), 'dialo-turn-'));
  // Run exactly as `npm start` runs it (local-servers/turn.ts), on this run's ports.
  const spec = await turnChild(turnBinary, { dataDir: folder, ports: { listen: port, relay: { start: relayFrom, end: relayFrom + 89 } }, secret, realm });
  const server = await spawnServer(spec.command, spec.args, { readyPort: port, cwd: spec.cwd });
  for (let i = 0; !(await udpBound(port)); i++) {
    if (i === 100) throw new Error(`turnserver did not bind UDP port ${port}:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    async stop() {
      await server.stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
