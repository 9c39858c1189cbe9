// Single-machine mode with the real binaries: main.ts, spawned as `npm start` runs it with no DRACHTIO_*, starts
// drachtio-server, FreeSWITCH and coturn itself; a browser's credentials register over its WebSocket; killed children
// come back; SIGTERM leaves none behind; a second start reuses the secrets; no secret is on any child's command line
// (each server reads its own from a file only this user can read, and authenticates with it). The database is a real Postgres (the test
// creates an account while the app runs; PGlite allows one process).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEST_MASTER_KEY, signIn, testApi, type SignedIn } from '../harness/api.ts';
import { APP_ARGS, startApp, type AppProcess } from '../harness/app-process.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../harness/databases.ts';
import { answerChallenge } from '../harness/digest-client.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { findOnPath, freePort, waitForTcp } from '../harness/external.ts';
import { freeswitchProvision } from '../harness/freeswitch.ts';
import { childrenOf, descendantsOf } from '../harness/processes.ts';
import { turnBinary } from '../harness/turn.ts';
import { allocate } from '../harness/turn-client.ts';
import { WsSipClient } from '../harness/ws-sip-client.ts';

// The app runs the binaries from PATH itself (a container-provisioned drachtio would not do).
const drachtioOnPath = drachtioProvision.via !== 'missing' && (await findOnPath('drachtio')) !== undefined;
const withFreeSwitch = freeswitchProvision.via === 'path';
const missing = !drachtioOnPath ? 'no `drachtio` on PATH' : preferredDialect() !== 'postgres' ? 'no Postgres server' : undefined;
if (missing !== undefined) console.warn(`[harness] single-machine suite skipped: ${missing}`);

interface Credentials {
  username: string;
  password: string;
  realm: string;
  webSocketUrl: string | null;
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}

function printed(app: AppProcess, pattern: RegExp, count = 1): Promise<void> {
  return vi.waitFor(
    () => {
      const seen = app.stdout().match(new RegExp(pattern.source, 'g'))?.length ?? 0;
      if (seen < count) throw new Error(`app has not printed ${pattern} ${count}x yet:\n${app.stderr()}${app.stdout().slice(-3000)}`);
    },
    { timeout: 40_000, interval: 100 },
  );
}

/** REGISTER over the WebSocket: 401, then 200 with the answer. */
async function register(webSocketUrl: string, credentials: Credentials): Promise<number> {
  const client = await WsSipClient.connect(webSocketUrl);
  try {
    const uri = `sip:${credentials.realm}`;
    const callId = randomUUID();
    const headers = {
      From: `<sip:${credentials.username}@${credentials.realm}>;tag=${randomUUID().slice(0, 8)}`,
      To: `<sip:${credentials.username}@${credentials.realm}>`,
      Contact: `<sip:tab@${client.host};transport=ws>;expires=600`,
    };
    const challenge = await client.request({ method: 'REGISTER', uri, callId, cseq: 1, headers });
    if (challenge.status !== 401) return challenge.status;
    const authorization = answerChallenge({ challenge: challenge.header('WWW-Authenticate') ?? '', method: 'REGISTER', uri, ...credentials });
    return (await client.request({ method: 'REGISTER', uri, callId, cseq: 2, headers: { ...headers, Authorization: authorization } })).status;
  } finally {
    client.close();
  }
}

/** drachtio-srf's handshake on drachtio-server's admin port with `secret`: undefined when accepted, else the error. */
async function srfHandshake(port: number, secret: string): Promise<string | undefined> {
  const srf = new Srf();
  try {
    return await new Promise<string | undefined>((resolve, reject) => {
      srf.on('connect', (error: Error | null) => resolve(error?.message));
      srf.on('error', reject);
      void srf.connect({ host: '127.0.0.1', port, secret });
    });
  } finally {
    srf.disconnect();
  }
}

/** Whether no user but this one can read `file` under `root`: by its own mode or a folder's between (not `root`'s). */
async function privateUnder(root: string, file: string): Promise<boolean> {
  for (let path = file; path !== root; path = dirname(path)) if (((await stat(path)).mode & 0o077) === 0) return true;
  return false;
}

/** Registers once drachtio-server and the app's connection to it are back (a fresh WebSocket per try, as a tab does). */
function registersAgain(webSocketUrl: string, credentials: Credentials): Promise<void> {
  return vi.waitFor(async () => expect(await register(webSocketUrl, credentials)).toBe(200), { timeout: 30_000, interval: 500 });
}

describe.skipIf(missing !== undefined)('npm start on one machine: the app runs its own drachtio-server, FreeSWITCH and TURN', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let app: AppProcess;
  let user: SignedIn;
  let credentials: Credentials;
  let ports: Record<'sip' | 'ws' | 'admin' | 'mediaSip' | 'esl' | 'turn', number>;
  const started: AppProcess[] = [];

  const start = async (): Promise<AppProcess> => {
    const process_ = startApp(env);
    started.push(process_);
    await process_.url;
    await printed(process_, /drachtio: connected/);
    if (withFreeSwitch) await printed(process_, /media server connected/);
    return process_;
  };

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    dataDir = await mkdtemp(join(tmpdir(), 'dialo-local-servers-'));
    ports = { sip: await freePort(), ws: await freePort(), admin: await freePort(), mediaSip: await freePort(), esl: await freePort(), turn: await freePort() };
    // This worker's own RTP and relay ranges, as test/harness/freeswitch.ts and turn.ts pick them (no suite of the
    // same worker runs at the same time).
    const block = Number(process.env.VITEST_POOL_ID ?? process.pid) % 4;
    env = {
      DATABASE_URL: database.url!,
      // The key this suite's own API (testApi) seals with: both write to one database.
      PRIVACY_MASTER_KEY: TEST_MASTER_KEY,
      DIALO_DATA_DIR: dataDir,
      HTTP_PORT: '0',
      SIP_REALM: 'dialo.test',
      LOCAL_SIP_PORT: String(ports.sip),
      LOCAL_SIP_WS_PORT: String(ports.ws),
      LOCAL_DRACHTIO_ADMIN_PORT: String(ports.admin),
      LOCAL_MEDIA_SIP_PORT: String(ports.mediaSip),
      LOCAL_MEDIA_ESL_PORT: String(ports.esl),
      LOCAL_RTP_PORTS: `${30_000 + block * 600}-${30_000 + block * 600 + 99}`,
      LOCAL_TURN_PORT: String(ports.turn),
      LOCAL_TURN_RELAY_PORTS: `${32_400 + block * 90}-${32_400 + block * 90 + 89}`,
      MEDIA_SERVER_RETRY_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    app = await start();
  });
  afterAll(async () => {
    for (const running of started) running.child.kill('SIGTERM');
    await Promise.all(started.map((running) => running.exited));
    await database?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('says what runs, serves /healthz, and browser credentials it issues register over its WebSocket', async () => {
    const wsUrl = `ws://127.0.0.1:${ports.ws}`;
    expect(app.stdout()).toMatch(/^Dialo listening at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(app.stdout()).toContain(`drachtio-server: running (SIP 127.0.0.1:${ports.sip} udp/tcp, WebSocket ${wsUrl}, admin ${ports.admin})`);
    if (withFreeSwitch) expect(app.stdout()).toContain(`FreeSWITCH: running (SIP 127.0.0.1:${ports.mediaSip}, event socket ${ports.esl},`);
    if (turnBinary !== undefined) expect(app.stdout()).toContain(`TURN: running (127.0.0.1:${ports.turn} udp/tcp`);
    const url = await app.url;
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });

    // Signed in through an in-process api on the same database: the session is a row, so the app honours it.
    const api = await testApi(database);
    user = await signIn(api, database.db);
    await api.close();
    const response = await fetch(`${url}/sip/credentials`, { method: 'POST', headers: user.headers });
    expect(response.status, await response.clone().text()).toBe(200);
    credentials = (await response.json()) as Credentials;
    expect(credentials.webSocketUrl).toBe(wsUrl);
    expect(await register(wsUrl, credentials)).toBe(200);

    const secrets = await stat(join(dataDir, 'secrets.json'));
    expect(secrets.mode & 0o777).toBe(0o600);
    const vars = await readFile(join(dataDir, 'freeswitch', 'conf', 'vars.xml'), 'utf8').catch(() => '');
    expect(vars).not.toContain('ClueCon');

    // Neither the app nor its servers wrote a secret, the issued SIP password or a SIP message (drachtio at notice).
    const stored = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const logs = await Promise.all(['drachtio', 'freeswitch', 'turn'].map((name) => readFile(join(dataDir, 'logs', `${name}.log`), 'utf8').catch(() => '')));
    const written = [app.stdout(), app.stderr(), ...logs].join('\n');
    for (const [name, value] of Object.entries({ ...stored, sipPassword: credentials.password })) expect(written.includes(value), name).toBe(false);
    expect(logs[0]).toContain('] started /');
    expect(logs[0]).not.toMatch(/REGISTER sip:|Authorization: Digest/);
  });

  it('puts no secret on any command line: each server reads its own from a 0600 file and authenticates with it', async () => {
    const stored = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    // What `ps` shows any local user: the argv of the app and of everything it started.
    const processes = await descendantsOf(app.child.pid!);
    expect([...processes.values()]).toEqual(
      expect.arrayContaining(['drachtio', ...(withFreeSwitch ? ['freeswitch'] : []), ...(turnBinary !== undefined ? ['turnserver'] : [])]),
    );
    for (const pid of [app.child.pid!, ...processes.keys()]) {
      const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      for (const [name, value] of Object.entries(stored)) expect(argv.includes(value), `${name} in the argv of ${argv.split('\0')[0]}`).toBe(false);
    }

    const holders = {
      'drachtio/drachtio.conf.xml': stored.drachtioSecret!,
      ...(withFreeSwitch ? { 'freeswitch/conf/vars.xml': stored.eslPassword! } : {}),
      ...(turnBinary !== undefined ? { 'turn/turnserver.conf': stored.turnSecret! } : {}),
    };
    for (const [file, secret] of Object.entries(holders)) {
      expect(await readFile(join(dataDir, file), 'utf8'), file).toContain(secret);
      expect((await stat(join(dataDir, file))).mode & 0o777, file).toBe(0o600);
    }
    // Whatever else a server writes with a secret in it (FreeSWITCH's expanded config, log/freeswitch.xml.fsxml, is
    // 0644) is in a folder only this user can enter.
    const values = Object.values(stored);
    const files = (await readdir(dataDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    for (const entry of files) {
      const path = join(entry.parentPath, entry.name);
      const text = await readFile(path, 'utf8').catch(() => '');
      if (values.some((value) => text.includes(value))) expect(await privateUnder(dataDir, path), path).toBe(true);
    }

    // The servers check the secrets from those files: the right one is let in, a wrong one is not. (The app's own
    // event-socket connection to FreeSWITCH, awaited at start, is made with the vars.xml password.)
    expect(await srfHandshake(ports.admin, stored.drachtioSecret!)).toBeUndefined();
    expect(await srfHandshake(ports.admin, 'x'.repeat(64))).toMatch(/authenticate/);
    if (turnBinary !== undefined) {
      // TURN credentials the api issued from the same secret allocate a relay; a wrong password does not.
      const turn = credentials.iceServers.find((server) => server.username !== undefined)!;
      expect(turn.urls).toEqual([`turn:127.0.0.1:${ports.turn}?transport=udp`]);
      expect(await allocate(ports.turn, turn.username!, turn.credential!)).toBe('success');
      expect(await allocate(ports.turn, turn.username!, 'x'.repeat(28))).toBe(401);
    }
  });

  it('restarts a killed drachtio-server (new PID) and the client registers again', async () => {
    const before = (await childrenOf(app.child.pid!)).get('drachtio')!;
    expect(before).toBeGreaterThan(0);
    process.kill(before, 'SIGKILL');
    const after = await vi.waitFor(
      async () => {
        const pid = (await childrenOf(app.child.pid!)).get('drachtio');
        if (pid === undefined || pid === before) throw new Error('drachtio not restarted yet');
        return pid;
      },
      { timeout: 20_000 },
    );
    expect(after).not.toBe(before);
    await registersAgain(credentials.webSocketUrl!, credentials);
  });

  it.skipIf(!withFreeSwitch)('restarts a killed FreeSWITCH (new PID, same event socket) and the media pool reconnects', async () => {
    const before = (await childrenOf(app.child.pid!)).get('freeswitch')!;
    expect(before).toBeGreaterThan(0);
    process.kill(before, 'SIGKILL');
    await vi.waitFor(
      async () => {
        const pid = (await childrenOf(app.child.pid!)).get('freeswitch');
        if (pid === undefined || pid === before) throw new Error('FreeSWITCH not restarted yet');
      },
      { timeout: 20_000 },
    );
    await waitForTcp(ports.esl, 30_000);
    await printed(app, /media server connected/, 2);
  });

  it('stops every child on SIGTERM and exits 0', async () => {
    const children = [...(await childrenOf(app.child.pid!)).entries()].filter(([name]) => ['drachtio', 'freeswitch', 'turnserver'].includes(name));
    expect(children.map(([name]) => name).sort()).toEqual(
      ['drachtio', ...(withFreeSwitch ? ['freeswitch'] : []), ...(turnBinary !== undefined ? ['turnserver'] : [])].sort(),
    );
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    for (const [name, pid] of children) expect(existsSync(`/proc/${pid}`), `${name} (${pid}) left behind`).toBe(false);
  });

  it('reuses its secrets on a second start: credentials issued before still register', async () => {
    const secrets = await readFile(join(dataDir, 'secrets.json'), 'utf8');
    app = await start();
    expect(await readFile(join(dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
    expect(await register(credentials.webSocketUrl!, credentials)).toBe(200);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it('a SIGKILLed app (no exit handler runs) takes its servers with it', async () => {
    app = await start();
    const children = [...(await childrenOf(app.child.pid!)).entries()].filter(([name]) => ['drachtio', 'freeswitch', 'turnserver'].includes(name));
    expect(children.map(([name]) => name)).toContain('drachtio');
    app.child.kill('SIGKILL');
    await app.exited;
    await vi.waitFor(
      () => {
        const left = children.filter(([, pid]) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '));
        if (left.length > 0) throw new Error(`left behind: ${left.map(([name, pid]) => `${name} (${pid})`).join(', ')}`);
      },
      { timeout: 20_000, interval: 100 },
    );
  });

  it('Ctrl-C during start-up (SIGINT to the whole process group) restarts no child and leaves none behind', async () => {
    // Its own process group, as a terminal's foreground job: the children get the SIGINT too.
    const child = spawn(process.execPath, APP_ARGS, {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const starts = async () => (await readFile(join(dataDir, 'logs', 'drachtio.log'), 'utf8')).match(/\] started \//g)?.length ?? 0;
    const startsBefore = await starts();
    // Signalled once drachtio-server runs: FreeSWITCH (when there) is still coming up, TURN may be.
    const children = await vi.waitFor(
      async () => {
        const found = await childrenOf(child.pid!);
        if (!found.has('drachtio')) throw new Error('drachtio not started yet');
        return [...found.entries()].filter(([name]) => ['drachtio', 'freeswitch', 'turnserver'].includes(name));
      },
      { timeout: 30_000, interval: 50 },
    );
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited, stderr).toBe(0);
    for (const [name, pid] of children) expect(existsSync(`/proc/${pid}`), `${name} (${pid}) left behind`).toBe(false);
    expect(await starts()).toBe(startsBefore + 1);
  });
});
