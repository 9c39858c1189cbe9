// drachtio-server on PATH but no FreeSWITCH (a common first install): the real app process runs its own drachtio, says
// the echo test is off, and does not offer it to the softphone (its button would only ever get 488).
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TEST_MASTER_KEY, signIn, testApi } from '../harness/api.ts';
import { startApp } from '../harness/app-process.ts';
import { freshDatabase, preferredDialect } from '../harness/databases.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { findOnPath, freePort } from '../harness/external.ts';

const drachtio = drachtioProvision.via === 'missing' ? undefined : await findOnPath('drachtio');
const missing = drachtio === undefined ? 'no `drachtio` on PATH' : preferredDialect() !== 'postgres' ? 'no Postgres server' : undefined;
if (missing !== undefined) console.warn(`[harness] single-machine suite without FreeSWITCH skipped: ${missing}`);

describe.skipIf(missing !== undefined)('npm start with drachtio-server but no FreeSWITCH on PATH', { timeout: 60_000 }, () => {
  it('runs drachtio, says the echo test is off, and offers the softphone no echo test', async () => {
    const database = await freshDatabase('postgres');
    const dataDir = await mkdtemp(join(tmpdir(), 'dialo-no-media-'));
    // A PATH holding drachtio alone: no freeswitch, no turnserver.
    const bin = join(dataDir, 'bin');
    await mkdir(bin);
    await symlink(drachtio!, join(bin, 'drachtio'));
    const app = startApp({
      PATH: bin,
      DATABASE_URL: database.url!,
      PRIVACY_MASTER_KEY: TEST_MASTER_KEY,
      DIALO_DATA_DIR: dataDir,
      HTTP_PORT: '0',
      LOCAL_SIP_PORT: String(await freePort()),
      LOCAL_SIP_WS_PORT: String(await freePort()),
      LOCAL_DRACHTIO_ADMIN_PORT: String(await freePort()),
    });
    try {
      const url = await app.url;
      await vi.waitFor(() => expect(app.stdout()).toMatch(/FreeSWITCH: not found on PATH/), { timeout: 20_000 });
      expect(app.stdout()).toMatch(/drachtio-server: running/);
      expect(app.stdout()).toMatch(/FreeSWITCH: not found on PATH \(`freeswitch`\) — the echo test and calls between browsers and phones\/carriers are off/);

      const api = await testApi(database);
      const user = await signIn(api, database.db);
      await api.close();
      const response = await fetch(`${url}/sip/credentials`, { method: 'POST', headers: user.headers });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await response.json()).toMatchObject({ echoTestNumber: null, webSocketUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/) });
    } finally {
      app.child.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
