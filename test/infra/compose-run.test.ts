/**
 * The server configs infra/compose.yaml hands to drachtio-server, FreeSWITCH and coturn, run here with the programs on
 * PATH and the compose file's own command lines: only container paths and ports are changed (suites run in parallel).
 * Each takes its secret from the environment, as compose gives it, and refuses a wrong one.
 */
import { createHmac } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { drachtioProvision } from '../harness/drachtio.ts';
import { eslAuth, eslSession } from '../harness/esl.ts';
import { freePort, spawnServer, udpBound, type RunningProcess } from '../harness/external.ts';
import { freeswitchProvision } from '../harness/freeswitch.ts';
import { testCertificates, type TestCa, type TestCas } from '../harness/tls-certs.ts';
import { allocate } from '../harness/turn-client.ts';
import { turnBinary } from '../harness/turn.ts';

const INFRA = fileURLToPath(new URL('../../infra/', import.meta.url));

interface Service {
  command: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
}
const compose = parse(await readFile(join(INFRA, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

const ENV: Record<string, string> = {
  PUBLIC_IP: '203.0.113.7',
  DIALO_DOMAIN: 'dialo.example.org',
  DRACHTIO_SECRET: 'drachtio-secret-from-env-0123',
  MEDIA_SERVER_SECRET: 'media-secret-from-env-0123',
  WEBRTC_TURN_SECRET: 'turn-secret-from-env-0123',
};

/** What compose does to a value: `${NAME:?...}` and `${NAME:-...}` from ENV, `$$` to `$`. */
const interpolate = (value: string) => value.replace(/\$\{(\w+)[^}]*\}/g, (_, name: string) => ENV[name] ?? '').replaceAll('$$', '$');
const service = (name: string) => {
  const { command, entrypoint, environment } = compose.services[name]!;
  return {
    command: command.map(interpolate),
    entrypoint: entrypoint?.map(interpolate),
    environment: Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, interpolate(value)])),
  };
};

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'dialo-compose-run-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe.skipIf(drachtioProvision.via !== 'path')('drachtio-server as compose runs it', { timeout: 60_000 }, () => {
  let server: RunningProcess;
  let ports: { admin: number; sip: number; tls: number; ws: number };
  let certificates: TestCas;
  let ca: TestCa;
  let drachtioCert: { certFile: string; keyFile: string };
  let carrier: { certFile: string; keyFile: string };

  beforeAll(async () => {
    ports = { admin: await freePort(), sip: await freePort(), tls: await freePort(), ws: await freePort() };
    certificates = await testCertificates();
    ca = await certificates.ca('carriers');
    drachtioCert = await ca.issue('drachtio');
    carrier = await ca.issue('carrier');
    const { command, environment } = service('drachtio');
    // The TLS contact's certificate, key and trusted CAs come from the harness CA, in place of TLS_CERT_DIR.
    const byPort: Record<string, number> = { '5060': ports.sip, '5061': ports.tls, '8088': ports.ws, '9022': ports.admin };
    const args = command.slice(1).map((arg) =>
      arg
        .replace('/etc/dialo/drachtio.conf.xml', join(INFRA, 'drachtio/drachtio.conf.xml'))
        .replace(/^(sips?):0\.0\.0\.0:(\d+)/, (_, scheme: string, port: string) => `${scheme}:127.0.0.1:${byPort[port]}`)
        .replace(/^0\.0\.0\.0$/, '127.0.0.1')
        .replace(/^9022$/, String(ports.admin)),
    );
    const files: Record<string, string> = {
      '/etc/dialo/tls/fullchain.pem': drachtioCert.certFile,
      '/etc/dialo/tls/privkey.pem': drachtioCert.keyFile,
      '/etc/dialo/tls/carriers-ca.pem': ca.caFile,
    };
    const env = { ...process.env, ...Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, files[value] ?? value])) };
    server = await spawnServer(drachtioProvision.via === 'path' ? drachtioProvision.binary : 'drachtio', args, { readyPort: ports.admin, env, cwd: folder });
  });
  afterAll(async () => {
    await server?.stop();
    await certificates?.remove();
  });

  const connectWith = (secret: string) =>
    new Promise<string>((resolve) => {
      const srf = new Srf();
      srf.on('error', () => undefined);
      srf.on('connect', (error: Error | undefined, hostports: string) => {
        srf.disconnect();
        resolve(error ? `refused: ${error.message}` : hostports);
      });
      srf.connect({ host: '127.0.0.1', port: ports.admin, secret });
    });

  it('admits the app with DRACHTIO_SECRET from its environment, and serves SIP over UDP and TCP as PUBLIC_IP, and WebSocket', async () => {
    const hostports = await connectWith(ENV.DRACHTIO_SECRET!);
    const { PUBLIC_IP } = ENV;
    expect(hostports.split(',').sort()).toEqual(
      [`tcp/${PUBLIC_IP}:${ports.sip}`, `udp/${PUBLIC_IP}:${ports.sip}`, `tls/${PUBLIC_IP}:${ports.tls}`, `ws/127.0.0.1:${ports.ws}`].sort(),
    );
  });

  /** A TLS handshake with the 5061 contact, trusting only the CA, with a client certificate or none. */
  const handshake = async (client: { certFile: string; keyFile: string } | undefined) => {
    const identity = client && { cert: await readFile(client.certFile), key: await readFile(client.keyFile) };
    const trusted = await readFile(ca.caFile);
    return new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: ports.tls, ca: [trusted], servername: 'localhost', ...identity });
      // TLS 1.3 reports a refused client certificate after the handshake, on the first read: wait for data or an end.
      socket.once('secureConnect', () => {
        socket.write('OPTIONS sip:127.0.0.1 SIP/2.0\r\n\r\n');
        setTimeout(() => {
          socket.destroy();
          resolve(socket.authorized ? 'accepted' : `unverified: ${String(socket.authorizationError)}`);
        }, 500);
      });
      socket.once('error', (error: Error) => resolve(`refused: ${error.message}`));
      socket.once('end', () => resolve('refused: closed'));
    });
  };

  it('serves SIP over TLS with the operator certificate, to carriers whose certificate a trusted CA signed', async () => {
    expect(await handshake(carrier)).toBe('accepted');
    expect(await handshake(undefined)).toMatch(/^refused: /);
  });

  it('refuses a wrong secret', async () => {
    expect(await connectWith('not-the-secret-0123456789')).toMatch(/^refused: /);
  });
});

describe.skipIf(freeswitchProvision.via !== 'path')('FreeSWITCH as compose runs it', { timeout: 60_000 }, () => {
  let server: RunningProcess;
  let eslPort: number;

  beforeAll(async () => {
    eslPort = await freePort();
    const sipPort = await freePort();
    const root = join(folder, 'freeswitch');
    const conf = join(root, 'conf');
    await mkdir(conf, { recursive: true });
    await copyFile(join(INFRA, 'freeswitch/freeswitch.xml'), join(conf, 'freeswitch.xml'));
    const vars = (await readFile(join(INFRA, 'freeswitch/compose-vars.xml'), 'utf8'))
      .replace(/esl_port=\d+/, `esl_port=${eslPort}`)
      .replace(/mrf_sip_port=\d+/, `mrf_sip_port=${sipPort}`)
      .replace(/rtp_start_port=\d+/, 'rtp_start_port=32500')
      .replace(/rtp_end_port=\d+/, 'rtp_end_port=32599');
    await writeFile(join(conf, 'vars.xml'), vars);
    const { command, environment } = service('freeswitch');
    // Its folders are not made here: compose gives it an empty named volume, and FreeSWITCH makes them itself.
    const args = command.map((arg) => arg.replace('/etc/dialo/freeswitch', conf).replace('/var/lib/freeswitch', root));
    // The compose network's subnet does not exist here: loopback stands in for it.
    const env = { ...process.env, ...environment, COMPOSE_SUBNET: '127.0.0.0/8' };
    server = await spawnServer(freeswitchProvision.via === 'path' ? freeswitchProvision.binary : 'freeswitch', args, {
      readyPort: eslPort,
      env,
      cwd: root,
      timeoutMs: 30_000,
    });
  });
  afterAll(async () => server?.stop());

  it('takes its event-socket password from MEDIA_SERVER_SECRET, and refuses the published default', async () => {
    expect(await eslAuth(eslPort, ENV.MEDIA_SERVER_SECRET!)).toBe('+OK accepted');
    expect(await eslAuth(eslPort, 'ClueCon')).toBe('-ERR invalid');
    expect(await eslAuth(eslPort, '')).toBe('-ERR invalid');
  });

  it('offers RTP on PUBLIC_IP', async () => {
    expect((await eslSession(eslPort, ENV.MEDIA_SERVER_SECRET!, 'global_getvar ext_rtp_ip')).output?.trim()).toBe(ENV.PUBLIC_IP);
  });
});

describe.skipIf(turnBinary === undefined)('coturn as compose runs it', { timeout: 60_000 }, () => {
  let server: RunningProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const root = join(folder, 'turn');
    await mkdir(root);
    const { command, entrypoint, environment } = service('coturn');
    const [shell, flag, script, name] = entrypoint!;
    const args = command.map((arg) =>
      arg
        .replace('--listening-ip=0.0.0.0', '--listening-ip=127.0.0.1')
        .replace('--listening-port=3478', `--listening-port=${port}`)
        .replace('--min-port=49152', '--min-port=32600')
        .replace('--max-port=49251', '--max-port=32699')
        .replace('/tmp/', `${root}/`),
    );
    server = await spawnServer(shell!, [flag!, script!.replaceAll('/tmp/', `${root}/`), name!, ...args], {
      readyPort: port,
      env: { ...process.env, ...environment },
      cwd: root,
    });
    for (let i = 0; !(await udpBound(port)); i++) {
      if (i === 100) throw new Error(`coturn did not bind UDP ${port}:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterAll(async () => server?.stop());

  it('relays for TURN REST credentials made with WEBRTC_TURN_SECRET, and for no others', async () => {
    const username = `${Math.floor(Date.now() / 1000) + 600}:account-1`;
    const credential = (secret: string) => createHmac('sha1', secret).update(username).digest('base64');
    expect(await allocate(port, username, credential(ENV.WEBRTC_TURN_SECRET!))).toBe('success');
    expect(await allocate(port, username, credential('not-the-secret-0123456789'))).toBe(401);
  });
});
