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

/**
 * Every optional setting compose passes on, set to a valid value other than its default: with these, each app
 * service's resolved environment must load (config.ts) and carry them.
 */
const OPERATOR_SETTINGS: Record<string, string> = {
  LOG_LEVEL: 'warn',
  SHUTDOWN_GRACE_MS: '5000',
  SESSION_TTL_HOURS: '72',
  AUTH_LOGIN_FAILURES_PER_IP: '8',
  AUTH_LOGIN_FAILURES_PER_ADDRESS: '25',
  AUTH_SIGNUPS_PER_ADDRESS: '4',
  AUTH_SIGNUPS_PER_IP: '15',
  AUTH_RESETS_PER_ADDRESS: '2',
  AUTH_RESETS_PER_IP: '10',
  AUTH_REAUTH_FAILURES: '6',
  AUTH_EMAIL_CHANGES_PER_ACCOUNT: '3',
  BILLING_CURRENCY: 'eur',
  BILLING_MAX_CONCURRENT_CALLS: '5',
  BILLING_MAX_CALL_SECONDS: '7200',
  BILLING_RESERVATION_GRACE_SECONDS: '120',
  TOPUP_MIN_MINOR: '1000',
  TOPUP_MAX_MINOR: '20000',
  CALL_DEFAULT_COUNTRY: 'FR',
  CALLER_ID_DEFAULT: '+33142685300',
  CALL_HEARTBEAT_SECONDS: '10',
  CALL_NODE_DEAD_SECONDS: '45',
  CALL_RECONNECT_GRACE_SECONDS: '20',
  SIP_PROBE_SECONDS: '7',
  ECHO_TEST_NUMBER: '*99',
  ECHO_TEST_MAX_SECONDS: '120',
  TRUNK_TIMEOUT_SECONDS: '8',
  TRUNK_PING_INTERVAL_MS: '0',
  TRUNK_PING_FAILURES: '4',
  TRUNK_REGISTER_RETRY_MIN_MS: '2000',
  TRUNK_REGISTER_RETRY_MAX_MS: '60000',
  TRUNK_REGISTER_LEASE_SECONDS: '30',
  MEDIA_SERVER_RETRY_SECONDS: '3',
  SIP_DIGEST_ALGORITHM: 'SHA-256',
  SIP_NONCE_TTL_SECONDS: '120',
  SIP_BROWSER_CREDENTIAL_TTL_SECONDS: '1800',
  CACHE_POLL_MS: '500',
  SIP_REGISTER_MIN_EXPIRES: '120',
  SIP_REGISTER_MAX_EXPIRES: '1800',
  SIP_REGISTER_DEFAULT_EXPIRES: '600',
  SIP_REGISTER_MAX_BINDINGS: '5',
  SIP_REGISTER_MAX_CONTACT_LENGTH: '256',
  SIP_AUTH_MAX_FAILURES: '5',
  SIP_AUTH_MAX_FAILURES_PER_ADDRESS: '40',
  SIP_AUTH_FAILURE_WINDOW_SECONDS: '120',
  SIP_AUTH_BLOCK_SECONDS: '600',
  SIP_FLOOD_MAX_REFUSALS: '30',
  SIP_FLOOD_MAX_REFUSALS_PER_ADDRESS: '300',
  SIP_FLOOD_WINDOW_SECONDS: '20',
  SIP_FLOOD_BLOCK_SECONDS: '120',
  ABUSE_CALLS_PER_MINUTE: '12',
  ABUSE_DAILY_SPEND_CAP: '50',
  ABUSE_ALLOWED_COUNTRIES: 'FR,BE',
  ABUSE_NEW_ACCOUNT_DAYS: '3',
  ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS: '1',
  ABUSE_NEW_ACCOUNT_CALLS_PER_MINUTE: '4',
  ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP: '5.50',
  ABUSE_BLOCK_PREMIUM_RATE: 'false',
  ABUSE_BURST_WINDOW_SECONDS: '300',
  ABUSE_BURST_SHORT_CALL_SECONDS: '10',
  ABUSE_BURST_DESTINATIONS: '6',
  ABUSE_SPIKE_FACTOR: '5',
  ABUSE_SPIKE_MIN_SPEND: '15',
  ABUSE_SPIKE_BASELINE_DAYS: '14',
  ABUSE_ALERT_EMAIL: 'abuse@example.org',
  RETENTION_USAGE_DAYS: '14',
  RETENTION_CALL_DETAIL_DAYS: '60',
  RETENTION_DEIDENTIFIED_YEARS: '10',
  RETENTION_SENT_MAIL_DAYS: '3',
  PUSH_RING_SECONDS: '20',
  PUSH_SERVICE_HOSTS: 'fcm.googleapis.com,*.push.apple.com',
  METRICS_TOKEN: 'mt-0123456789abcdef0123456789abcdef',
  SMTP_URL: 'smtps://mailer:secret@smtp.example.org:465',
  MAIL_FROM: 'Dialo <no-reply@example.org>',
};

/**
 * What config.ts reads that compose sets for no app service, and why: single-machine mode's (LOCAL_SERVERS=off), the
 * embedded database's (DATABASE_URL is set), the node name (the container's hostname, config.ts's default), and
 * MEDIA_ADVERTISED_ADDRESS, which signaling's command sets to the replica's own address.
 */
const NOT_FOR_COMPOSE = /^(LOCAL_(?!SERVERS$)\w+|DIALO_DATA_DIR|PGLITE_DATA_DIR|SIGNALING_NODE_ID|PATH|MEDIA_ADVERTISED_ADDRESS)$/;
/** Read by config.ts only for a role or feature a service does not run (its own part of the environment). */
const ROLE_SPECIFIC = /^(DRACHTIO_\w+|MEDIA_(SERVERS|SERVER_SECRET|LISTEN_ADDRESS|ADVERTISED_ADDRESS)|SIP_WS_(URL|PROXIES)|WEBRTC_\w+|TRUST_PROXY|STRIPE_\w+)$/;

/** The names config.ts's loader reads from an environment (each read goes through the proxy). */
function namesRead(env: Record<string, string>): Set<string> {
  const names = new Set<string>();
  loadConfig(new Proxy(env, { get: (target, name: string) => (names.add(name), target[name]) }));
  return names;
}

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

  it("has the api believe X-Forwarded-For, and signaling exempt browsers' shared address from per-address SIP blocks, from the compose network only, where Caddy is", () => {
    const subnet = (compose as unknown as { networks: { default: { ipam: { config: { subnet: string }[] } } } }).networks.default.ipam.config[0]!.subnet;
    expect(compose.services.api!.environment?.TRUST_PROXY).toBe(subnet);
    expect(compose.services.signaling!.environment?.SIP_WS_PROXIES).toBe(subnet);
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
      expect([name, operator, rest]).toEqual([expect.stringMatching(/^(STRIPE_|SMTP_|VAPID_|METRICS_TOKEN$)/), ':-', '']);
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

    it("gives every app service an environment config.ts accepts, with the operator's settings in force", () => {
      const services = resolved({ ...FILLED, ...OPERATOR_SETTINGS });
      for (const role of ['migrate', 'api', 'signaling', 'jobs']) {
        const env = services[role]!;
        for (const [name, value] of Object.entries(OPERATOR_SETTINGS)) expect(env[name], `${role} ${name}`).toBe(value);
        const config = loadConfig(env);
        expect(config.billing.currency, role).toBe('eur');
        expect(config.calls, role).toMatchObject({ defaultCountry: 'FR', defaultCallerId: '+33142685300', trunkTimeoutMs: 8000 });
        expect(config.abuse.defaults, role).toMatchObject({ allowedCountries: ['FR', 'BE'], callsPerMinute: 12 });
        expect(config.privacy.retention, role).toEqual({ usageDays: 14, callDetailDays: 60, deidentifiedYears: 10, sentMailDays: 3 });
        expect(config.metrics, role).toEqual({ listen: { host: '0.0.0.0', port: 9464 }, token: OPERATOR_SETTINGS.METRICS_TOKEN });
        expect(config.sip?.flood.maxStrikes, role).toBe(30);
      }
      // Left empty, each takes its default: empty counts as unset.
      const defaults = resolved(FILLED);
      for (const role of ['api', 'signaling', 'jobs']) expect(loadConfig(defaults[role]!).billing.currency, role).toBe('usd');
    });

    it("passes every setting config.ts reads to the app services, but for single-machine mode's and those of other roles", () => {
      const services = resolved({ ...FILLED, ...OPERATOR_SETTINGS });
      const passed = new Set(['migrate', 'api', 'signaling', 'jobs'].flatMap((role) => Object.keys(services[role]!)));
      const unpassed = [...namesRead(services.signaling!)].filter((name) => !passed.has(name) && !NOT_FOR_COMPOSE.test(name));
      expect(unpassed).toEqual([]);
      // And the settings of all roles reach all of them, so a service's role can change without editing its environment.
      for (const role of ['api', 'signaling', 'jobs']) {
        const missing = [...namesRead(services[role]!)].filter(
          (name) => !(name in services[role]!) && !NOT_FOR_COMPOSE.test(name) && !ROLE_SPECIFIC.test(name),
        );
        expect(missing, role).toEqual([]);
      }
    });

    it.each(Object.keys(FILLED))('refuses to run without %s, naming it', (name) => {
      const { [name]: _left, ...rest } = FILLED;
      const result = check(rest);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`set ${name} in infra/.env`);
    });
  });
});
