/**
 * infra/compose.yaml, checked without a Docker engine: valid by the Compose Specification's JSON Schema (vendored) and
 * by Debian's docker-compose (`config -q`), refusing to start while any secret is unset, publishing only the public
 * ports, and running each server with the command line local-servers/ runs for `npm start` and the test suites.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { parse } from 'yaml';
import { loadConfig } from '../../config.ts';
import { drachtioChild } from '../../local-servers/drachtio.ts';
import { freeswitchChild } from '../../local-servers/freeswitch.ts';
import { turnChild } from '../../local-servers/turn.ts';
import { findOnPath, missingServer } from '../harness/external.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE = join(ROOT, 'infra', 'compose.yaml');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

/** What infra/.env.example asks for, filled in: the one set of values with which the file must be valid. */
const FILLED: Record<string, string> = {
  DIALO_DOMAIN: 'dialo.example.org',
  PUBLIC_IP: '203.0.113.7',
  TLS_CERT_DIR: '/etc/dialo/tls',
  OPERATOR_CONTACT_EMAIL: 'privacy@example.org',
  POSTGRES_PASSWORD: 'pg-0123456789abcdef0123456789abcdef',
  PRIVACY_MASTER_KEY: 'mk-0123456789abcdef0123456789abcdef',
  PRIVACY_HASH_KEY: 'hk-0123456789abcdef0123456789abcdef',
  SIP_SECRET: 'ss-0123456789abcdef0123456789abcdef',
  DRACHTIO_SECRET: 'ds-0123456789abcdef',
  MEDIA_SERVER_SECRET: 'ms-0123456789abcdef',
  WEBRTC_TURN_SECRET: 'ts-0123456789abcdef',
};

/** The only ports that reach the host: SIP (UDP, TCP, TLS), HTTPS (and its redirect), WSS, TURN, and the RTP and relay ranges. */
const PUBLISHED = {
  drachtio: ['5060:5060/udp', '5060:5060/tcp', '5061:5061/tcp'],
  freeswitch: ['16384-16983:16384-16983/udp'],
  coturn: ['3478:3478/udp', '3478:3478/tcp', '49152-49251:49152-49251/udp'],
  caddy: ['80:80/tcp', '443:443/tcp', '8443:8443/tcp'],
};

/** Option names of a command line (`--min-port=1` and `--min-port 1` alike), in order. */
const optionNames = (args: readonly string[]) => args.filter((arg) => arg.startsWith('-')).map((arg) => arg.split('=')[0]!);

const text = await readFile(COMPOSE, 'utf8');
const compose = parse(text, { merge: true }) as ComposeFile;
const dockerCompose = await findOnPath('docker-compose');
if (dockerCompose === undefined) missingServer('compose file validation', 'docker-compose (Debian package docker-compose) is not on PATH');

describe('infra/compose.yaml', () => {
  it('is valid by the Compose Specification JSON Schema, which refuses a malformed service', async () => {
    const schema = JSON.parse(await readFile(join(ROOT, 'test/infra/vendor/compose-spec.json'), 'utf8')) as object;
    // The schema names draft-07's meta-schema by an https URL Ajv does not register; Ajv validates by draft-07 rules.
    const { $schema: _draft, ...body } = schema as { $schema?: string };
    const ajv = new Ajv({ strict: false, allErrors: true });
    formats.default(ajv);
    const validate = ajv.compile(body);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const broken = {
      ...compose,
      services: { ...compose.services, api: { ...compose.services.api, depends_on: { migrate: { condition: 'when-it-feels-like-it' } } } },
    };
    expect(validate(broken)).toBe(false);
  });

  it('has the api believe X-Forwarded-For from the compose network only, where Caddy is', () => {
    expect(compose.services.api!.environment?.TRUST_PROXY).toBe(
      (compose as unknown as { networks: { default: { ipam: { config: { subnet: string }[] } } } }).networks.default.ipam.config[0]!.subnet,
    );
  });

  it("has each signaling replica advertise its own address to FreeSWITCH, then start the image's command", async () => {
    const dockerfile = await readFile(join(ROOT, 'infra/Dockerfile'), 'utf8');
    const imageCommand = (JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!) as string[]).join(' ');
    expect(compose.services.signaling!.command).toEqual(['sh', '-c', `MEDIA_ADVERTISED_ADDRESS="$$(hostname -i)" exec ${imageCommand}`]);
  });

  it('publishes only the public ports', () => {
    const published = Object.fromEntries(Object.entries(compose.services).flatMap(([name, service]) => (service.ports ? [[name, service.ports]] : [])));
    expect(published).toEqual(PUBLISHED);
  });

  it('pins every image, and keeps data in named volumes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).toMatch(/^[a-z0-9./-]+:(?!latest$)[\w.-]+$/);
    }
    expect(compose.services.postgres!.image).toMatch(/^postgres:15\b/);
    expect(Object.keys(compose.volumes)).toEqual(['postgres-data', 'freeswitch-data', 'caddy-data']);
    expect(compose.services.postgres!.volumes).toContain('postgres-data:/var/lib/postgresql/data');
  });

  it('migrates once, with the project migrate script, before every role starts', async () => {
    const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.migrate).toBe('node cli/dialo.js migrate');
    expect(compose.services.migrate!.command).toEqual(['node', 'cli/dialo.js', 'migrate']);
    for (const role of ['api', 'signaling', 'jobs']) {
      const service = compose.services[role]!;
      expect(service.depends_on, role).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
      expect(service.environment?.DIALO_ROLES, role).toBe(role);
      expect(service.environment?.LOCAL_SERVERS, role).toBe('off');
    }
  });

  it('gives no secret a default: each is required (${VAR:?...}) or, for an optional feature, empty', () => {
    const references = [...text.matchAll(/\$\{(\w+)(:?[?-])?([^}]*)\}/g)].map(([, name, operator, rest]) => ({ name: name!, operator, rest: rest! }));
    const secrets = references.filter(({ name }) => /SECRET|KEY|PASSWORD|TOKEN/.test(name));
    expect(secrets.length).toBeGreaterThan(10);
    for (const { name, operator, rest } of secrets) {
      if (operator === ':?') continue;
      expect([name, operator, rest]).toEqual([expect.stringMatching(/^(STRIPE|SMTP|VAPID)_/), ':-', '']);
    }
    // No secret value is written into the file itself.
    expect(text).not.toMatch(/(SECRET|KEY|PASSWORD|TOKEN): (?!\$\{)\S/);
  });

  it('names in infra/.env.example every variable it reads, each left empty', async () => {
    const example = await readFile(join(ROOT, 'infra/.env.example'), 'utf8');
    const lines = example.split('\n').filter((line) => /^\w+=/.test(line));
    expect(lines.every((line) => line.endsWith('='))).toBe(true);
    const offered = new Set(lines.map((line) => line.slice(0, -1)));
    const read = new Set([...text.matchAll(/\$\{(\w+)/g)].map(([, name]) => name!));
    expect([...read].filter((name) => !offered.has(name))).toEqual([]);
    expect(Object.keys(FILLED).filter((name) => !offered.has(name))).toEqual([]);
  });

  describe('the servers run as local-servers/ runs them', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'dialo-compose-'));
    });
    afterAll(async () => rm(dataDir, { recursive: true, force: true }));

    it('drachtio-server: the same options, plus an external IP and a TLS contact for the public address', async () => {
      const local = await drachtioChild('drachtio', { dataDir, ports: { sip: 5060, sipWs: 8088, admin: 9022 }, secret: 's'.repeat(20) });
      const [binary, ...args] = compose.services.drachtio!.command!;
      expect(binary).toBe('drachtio');
      // Pairs of option and value; the public extras are an external IP per contact and a TLS contact.
      const pairs = (list: readonly string[]) => list.flatMap((arg, i) => (arg.startsWith('-') ? [[arg, list[i + 1] ?? '']] : []));
      const publicExtra = ([option, value]: string[]) => option === '--external-ip' || (option === '--contact' && value!.endsWith('transport=tls'));
      expect(
        pairs(args)
          .filter((pair) => !publicExtra(pair))
          .map(([option]) => option),
      ).toEqual(pairs(local.args).map(([option]) => option));
      const transports = (list: readonly string[]) => list.filter((arg) => /^sips?:/.test(arg)).map((contact) => contact.replace(/^sips?:[^:]+:/, ''));
      expect(transports(args)).toEqual(['5060;transport=udp,tcp', '5061;transport=tls', '8088;transport=ws']);
      expect(transports(local.args)).toEqual(['5060;transport=udp,tcp', '8088;transport=ws']);
      expect(compose.services.drachtio!.volumes).toContain('./drachtio/drachtio.conf.xml:/etc/dialo/drachtio.conf.xml:ro');
    });

    it('FreeSWITCH: the same options and folders, with infra/freeswitch mounted', async () => {
      const local = await freeswitchChild('freeswitch', {
        dataDir,
        ports: { sip: 5080, esl: 8021, rtp: { start: 16384, end: 16983 } },
        eslPassword: 'p'.repeat(20),
      });
      expect(compose.services.freeswitch!.entrypoint).toEqual(['freeswitch']);
      expect(optionNames(compose.services.freeswitch!.command!)).toEqual(optionNames(local.args));
      expect(compose.services.freeswitch!.volumes).toEqual(
        expect.arrayContaining([
          './freeswitch/freeswitch.xml:/etc/dialo/freeswitch/freeswitch.xml:ro',
          './freeswitch/compose-vars.xml:/etc/dialo/freeswitch/vars.xml:ro',
        ]),
      );
    });

    it('coturn: the same options, but for loopback-only ones, and its secret in a config file', async () => {
      const local = await turnChild('turnserver', {
        dataDir,
        ports: { listen: 3478, relay: { start: 49152, end: 49251 } },
        secret: 't'.repeat(20),
        realm: 'dialo',
      });
      const { entrypoint, command } = compose.services.coturn!;
      expect(entrypoint![2]).toMatch(/exec turnserver -c \/tmp\/turnserver\.conf "\$\$@"$/);
      // Loopback-only: the relay address is the listening one, and loopback peers are not relayed to on a host.
      const loopbackOnly = new Set(['--relay-ip', '--allow-loopback-peers']);
      const expected = optionNames(local.args).filter((name) => !loopbackOnly.has(name) && name !== '-c');
      expect(optionNames(command!).filter((name) => name !== '--external-ip')).toEqual(expected);
    });
  });

  describe.skipIf(dockerCompose === undefined)("docker-compose's own check", () => {
    const check = (env: Record<string, string>) =>
      spawnSync(dockerCompose!, ['-f', COMPOSE, 'config', '-q'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

    it('accepts the file once every variable is set', () => {
      const result = check(FILLED);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    /** Each service's environment as docker-compose resolves it from these variables. */
    const resolved = (env: Record<string, string>): Record<string, Record<string, string>> => {
      const result = spawnSync(dockerCompose!, ['-f', COMPOSE, 'config'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      const { services } = parse(result.stdout) as ComposeFile;
      return Object.fromEntries(Object.entries(services).map(([name, service]) => [name, service.environment ?? {}]));
    };

    it('hands the VAPID pair to the api and signaling roles, and leaves Web Push off while the keys are empty', () => {
      // As the operator makes them (infra/.env.example): web-push's generate-vapid-keys.
      const { publicKey, privateKey } = webpush.generateVAPIDKeys();
      const withPush = resolved({ ...FILLED, VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey, VAPID_SUBJECT: 'https://dialo.example.org/contact' });
      for (const role of ['api', 'signaling']) {
        expect(loadConfig(withPush[role]!).push, role).toMatchObject({ vapid: { publicKey, privateKey }, subject: 'https://dialo.example.org/contact' });
      }
      const withoutPush = resolved(FILLED);
      expect(withoutPush.signaling!.VAPID_PUBLIC_KEY).toBe('');
      expect(loadConfig(withoutPush.signaling!).push).toMatchObject({ vapid: undefined, subject: 'mailto:privacy@example.org' });
    });

    it.each(Object.keys(FILLED))('refuses to run without %s, naming it', (name) => {
      const { [name]: _left, ...rest } = FILLED;
      const result = check(rest);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`set ${name} in infra/.env`);
    });
  });
});
