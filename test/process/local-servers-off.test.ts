// LOCAL_SERVERS=off: the real app process runs no server of its own, serves the app, and says in one line why calls
// are off. (Apart from local-servers.test.ts to keep each file short on a 2-core box.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { startApp } from '../harness/app-process.ts';
import { childrenOf } from '../harness/processes.ts';

describe('LOCAL_SERVERS=off', { timeout: 60_000 }, () => {
  it('starts no server and says in one line why calls are off', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dialo-off-'));
    const app = startApp({ PGLITE_DATA_DIR: 'memory://', DIALO_DATA_DIR: dataDir, HTTP_PORT: '0', LOCAL_SERVERS: 'off' });
    await app.url;
    await vi.waitFor(() => expect(app.stdout()).toMatch(/Calls: off/), { timeout: 20_000 });
    expect(app.stdout().match(/^ {2}Calls: off .*$/gm)).toEqual([
      "  Calls: off — LOCAL_SERVERS=off and DRACHTIO_HOST is not set; set DRACHTIO_* and SIP_SECRET, see README.md, 'Getting the servers'",
    ]);
    expect([...(await childrenOf(app.child.pid!)).keys()].filter((name) => ['drachtio', 'freeswitch', 'turnserver'].includes(name))).toEqual([]);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  });
});
