/**
 * The one reader of `process.env`. Every variable is parsed and validated once, at boot; a bad value
 * stops the process with a single line naming the variable and what it expects (see main.ts).
 * Every variable is listed, with its default, in .env.example.
 */
import { createECDH } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { LevelWithSilent } from 'pino';
import type { AddressBlockLimits } from './core/abuse/address-blocks.ts';
import { ANY_COUNTRY, type AbusePolicy } from './core/abuse/policy.ts';
import type { IceConfig } from './core/accounts/ice-servers.ts';
import { DEFAULT_AUTH_LIMITS, type AuthLimits, type Limit } from './core/accounts/throttle.ts';
import { MoneyError, parseDecimal, type Micros } from './core/money.ts';
import { DEFAULT_PUSH_SERVICE_HOSTS, isPushServicePattern } from './core/push/push-services.ts';
import type { DatabaseConfig } from './db/connect.ts';

export const ROLES = ['api', 'signaling', 'jobs'] as const;
export type Role = (typeof ROLES)[number];

export type { DatabaseConfig };

export interface DrachtioConfig {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface SipConfig {
  /** Digest realm for REGISTER/INVITE challenges and static HA1s. */
  readonly realm: string;
  /** HMAC secret for browser SIP credentials and nonces; shared by every api and signaling node. */
  readonly secret: string;
  readonly challengeAlgorithm: 'MD5' | 'SHA-256';
  readonly nonceTtlSeconds: number;
  /** How long browser SIP credentials issued by the api stay valid. */
  readonly browserCredentialTtlSeconds: number;
  /** The WebSocket URL browsers register to (drachtio's ws/wss contact as the public sees it). */
  readonly webSocketUrl: string | undefined;
  /** STUN/TURN servers handed to browsers with their SIP credentials (TURN ones with short-lived credentials). */
  readonly ice: IceConfig;
  readonly registerExpires: { readonly min: number; readonly max: number; readonly default: number };
  /** Per address-of-record (SIP username): live bindings, and the length of one Contact URI. */
  readonly registerLimits: { readonly maxBindings: number; readonly maxContactLength: number };
  /** Failed authentications: per address + username, then per address (core/abuse/address-blocks.ts). */
  readonly bruteForce: AddressBlockLimits;
  /** INVITEs refused as from unknown sources: per address + port, then per address; past them, refused from memory. */
  readonly flood: AddressBlockLimits;
  /** How often cached credentials are checked against the database's change counter (core/versioned-cache.ts). */
  readonly cachePollMs: number;
  /**
   * Reverse proxies (addresses or CIDRs) browsers' SIP WebSockets come through (SIP_WS_PROXIES): their address is
   * every browser's, so bruteForce and flood do not block it as a whole (core/abuse/web-socket-proxies.ts).
   */
  readonly webSocketProxies: readonly string[];
}

export interface CallsConfig {
  /** This signaling process's name in call records; a restart closes the calls its predecessor left open. */
  readonly nodeId: string;
  /** ISO 3166 alpha-2 country for numbers dialled in national format; undefined: only international format. */
  readonly defaultCountry: string | undefined;
  /** Caller ID (E.164) for outbound calls from accounts that own no number. */
  readonly defaultCallerId: string | undefined;
  /** How long a trunk may take to answer before the next one is tried. */
  readonly trunkTimeoutMs: number;
  /** OPTIONS pings to each outbound trunk (core/calls/trunk-health.ts): every intervalMs (0: off); failures in a row before down. */
  readonly trunkPing: { readonly intervalMs: number; readonly failuresBeforeDown: number };
  /** Registration trunks (core/calls/trunk-registration.ts): retry backoff after a failed REGISTER, and the one-node lease. */
  readonly trunkRegister: { readonly retryMinMs: number; readonly retryMaxMs: number; readonly leaseMs: number };
  /** How often answered calls are marked alive; a call orphaned by a crash is billed to its last mark. */
  readonly heartbeatMs: number;
  /** How long a signaling node may be silent before another node or the jobs role closes its calls. */
  readonly nodeDeadMs: number;
  /** How often signaling sends itself an OPTIONS through drachtio-server (signaling/sip-probe.ts), for /readyz. */
  readonly sipProbeMs: number;
  /**
   * A browser leg whose WebSocket is lost mid-call: probed every probeMs (a third of the grace, at most 10 s), and
   * waited for graceMs (CALL_RECONNECT_GRACE_SECONDS) to reconnect and re-INVITE before the call ends.
   */
  readonly reconnect: { readonly graceMs: number; readonly probeMs: number };
  /**
   * The echo test: a number a registered device dials to hear its own audio back from the media server (free, never
   * billed); undefined when ECHO_TEST_NUMBER=off.
   */
  readonly echoTest: EchoTestConfig | undefined;
}

export interface EchoTestConfig {
  /** What the caller dials, as the Request-URI's user part reads once unescaped (`*43`). */
  readonly number: string;
  /** The echo call is hung up (BYE) after this long, so an abandoned tab cannot hold a media server channel. */
  readonly maxSeconds: number;
}

/** FreeSWITCH servers for calls between a browser and an RTP party (media-control); absent: such calls get 488. */
export interface MediaConfig {
  /** Their event sockets. */
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  /** The event-socket password. */
  readonly secret: string;
  /** Where FreeSWITCH connects back to drive each channel (drachtio-fsmrf's outbound event socket). */
  readonly listenAddress: string;
  /** That address as FreeSWITCH must dial it, when it differs (NAT, containers). */
  readonly advertisedAddress: string | undefined;
  readonly retryMs: number;
}

/** SIP settings as the environment gives them; in single-machine mode a missing secret comes from local-servers/. */
export type SipSettings = Omit<SipConfig, 'secret'> & { readonly secret: string | undefined };

/** An inclusive port range, written `16384-16983`. */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Single-machine mode (local-servers/): with `auto`, no DRACHTIO_HOST and the signaling role in this process, the
 * process runs drachtio-server, FreeSWITCH and coturn from PATH on loopback. Whatever the environment sets wins.
 */
export interface LocalServersConfig {
  readonly mode: 'auto' | 'off';
  /** Secrets, logs and local server state. */
  readonly dataDir: string;
  /** Where the server binaries are looked up (PATH). */
  readonly searchPath: string;
  readonly ports: {
    /** SIP over UDP and TCP. */
    readonly sip: number;
    readonly sipWs: number;
    readonly drachtioAdmin: number;
    readonly mediaSip: number;
    readonly mediaEsl: number;
    readonly rtp: PortRange;
    readonly turn: number;
    readonly turnRelay: PortRange;
  };
  /** SIP settings from the environment (SIP_SECRET may be unset: then a generated one is used). */
  readonly sip: SipSettings;
  /** Media settings other than the servers (MEDIA_LISTEN_ADDRESS, MEDIA_ADVERTISED_ADDRESS, MEDIA_SERVER_RETRY_SECONDS). */
  readonly media: Omit<MediaConfig, 'servers' | 'secret'>;
}

export interface BillingConfig {
  /** ISO 4217, lower case as Stripe writes it: one currency per deployment. */
  readonly currency: string;
  /** Calls one account may have in progress at once. */
  readonly maxConcurrentCalls: number;
  /** The longest call allowed whatever the credit. */
  readonly maxCallSeconds: number;
  /** Setup time on top of a call's maximum before its credit hold counts as stale and is expired. */
  readonly reservationGraceSeconds: number;
  /** Top-up bounds in the currency's minor unit (cents). */
  readonly topUpMinMinor: number;
  readonly topUpMaxMinor: number;
}

/** All three keys, or none (then top-ups answer "payments not configured"). */
export interface StripeConfig {
  readonly secretKey: string;
  readonly publishableKey: string;
  readonly webhookSecret: string;
}

export interface Config {
  readonly roles: ReadonlySet<Role>;
  readonly http: { readonly host: string; readonly port: number };
  /**
   * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For the api believes, so per-IP limits and logs see the
   * client and not the proxy (TRUST_PROXY); empty: the connection's address is the client's.
   */
  readonly trustedProxies: readonly string[];
  readonly database: DatabaseConfig;
  readonly logLevel: LevelWithSilent;
  /** Absent when no drachtio-server is configured: the signaling role then cannot start. */
  readonly drachtio: DrachtioConfig | undefined;
  /** Absent when SIP_SECRET is unset (and so no drachtio-server is configured). */
  readonly sip: SipConfig | undefined;
  /** How long shutdown waits for in-flight work before closing the database anyway. */
  readonly shutdownGraceMs: number;
  /** Where users reach Dialo (no trailing slash): e-mail links point here. https unless it is localhost. */
  readonly publicUrl: string;
  /** Cookies carry `Secure` unless {@link Config.publicUrl} is a localhost URL. */
  readonly secureCookies: boolean;
  /** How long a login session lasts. */
  readonly sessionTtlHours: number;
  /** Attempt limits of sign-up, login, password reset and re-authentication (the counts; windows are fixed). */
  readonly authLimits: AuthLimits;
  readonly billing: BillingConfig;
  readonly stripe: StripeConfig | undefined;
  readonly calls: CallsConfig;
  readonly media: MediaConfig | undefined;
  /** Outgoing mail; absent when SMTP_URL is unset: mail then waits in the outbox. */
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
  readonly privacy: PrivacyConfig;
  /** Toll-fraud limits and pattern detection (core/abuse/). */
  readonly abuse: AbusePolicy;
  readonly localServers: LocalServersConfig;
  readonly metrics: MetricsConfig;
  readonly push: PushConfig;
}

/** A VAPID key pair (RFC 8292): P-256, base64url as browsers take `applicationServerKey` and web-push takes them. */
export interface VapidKeys {
  /** The uncompressed point, 65 bytes. */
  readonly publicKey: string;
  /** The private scalar, 32 bytes: a secret, never logged. */
  readonly privateKey: string;
}

/** Web Push (issue 16): who the push services may contact about our pushes, and the keys our pushes are signed with. */
export interface PushConfig {
  /** VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, both or neither; undefined: generated in single-machine mode (local-servers/secrets.ts). */
  readonly vapid: VapidKeys | undefined;
  /** VAPID_SUBJECT, a mailto: or https: URL (RFC 8292 §2.1); defaults to the operator's privacy contact. */
  readonly subject: string;
  /**
   * PUSH_RING_SECONDS: how long a call to an account with no live device, but with push subscriptions, holds the
   * caller ringing while a pushed browser wakes and registers.
   */
  readonly ringSeconds: number;
  /** PUSH_SERVICE_HOSTS: the push services' hosts endpoints may be on (`*.` for any host under a domain); core/push/push-services.ts. */
  readonly serviceHosts: readonly string[];
}

/**
 * Where Prometheus reads `/metrics`: never on the public port by default. A listener of its own on an address the
 * operator chooses (METRICS_LISTEN), and/or a bearer token (METRICS_TOKEN) that /metrics then requires wherever it
 * is served, the public port included.
 */
export interface MetricsConfig {
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  readonly token: string | undefined;
}

export interface PrivacyConfig {
  /** Key of the irreversible keyed hash used to de-identify; undefined: a random key per process (main.ts warns). */
  readonly hashKey: string | undefined;
  /**
   * Wraps every account's data key (core/privacy/vault.ts); undefined: with the embedded database, one generated
   * into the data folder's secrets.json; with DATABASE_URL, the process refuses to start.
   */
  readonly masterKey: string | undefined;
  /** Shown next to the policy: where privacy questions and requests go. */
  readonly operatorContact: string;
  readonly retention: {
    readonly usageDays: number;
    readonly callDetailDays: number;
    readonly deidentifiedYears: number;
    readonly sentMailDays: number;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string | undefined,
  ) {
    super(`${variable}: expected ${expected}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Reads one variable; empty counts as unset so `FOO=` in a .env file means "use the default". */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

/** What a ConfigError shows in place of a secret's value: the line names the setting, never what it was set to. */
const REDACTED = '<redacted>';

/**
 * Passwords their software ships with (FreeSWITCH's event socket, drachtio-server's admin port, coturn's example
 * config): anyone who reads the manual knows them. Compared case-insensitively.
 */
const PUBLISHED_DEFAULTS = new Set(['cluecon', 'cymru', 'north']);

/**
 * A secret the operator sets, or undefined when unset; refused when it is a published default or shorter than
 * `minLength` (an empty value counts as unset, and the caller decides whether that is allowed).
 */
function secret(env: Env, name: string, what: string, minLength: number): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  if (PUBLISHED_DEFAULTS.has(value.toLowerCase())) throw new ConfigError(name, `${what}, not the published default its software ships with`, REDACTED);
  if (value.length < minLength) throw new ConfigError(name, `${what} of at least ${minLength} characters`, REDACTED);
  return value;
}

/** Servers we talk to on the operator's network (drachtio-server, FreeSWITCH, coturn): at least this long. */
const SERVER_SECRET_LENGTH = 16;

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, 'true or false', raw);
  return raw === 'true';
}

/** A non-negative amount in currency units ("25", "0.50"), as micro-units. */
function amount(env: Env, name: string, fallback: string): Micros {
  const raw = read(env, name) ?? fallback;
  try {
    const value = parseDecimal(raw);
    if (value >= 0) return value;
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
  }
  throw new ConfigError(name, 'an amount in currency units such as 25 or 0.50 (at least 0)', raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `one of ${allowed.join(', ')}`, raw);
  return raw as T;
}

function roles(env: Env): ReadonlySet<Role> {
  const raw = read(env, 'DIALO_ROLES');
  if (raw === undefined) return new Set(ROLES);
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(ROLES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new ConfigError('DIALO_ROLES', `a comma-separated list of ${ROLES.join(', ')}`, raw);
  }
  return new Set(names as Role[]);
}

function dataDir(env: Env): string {
  return read(env, 'DIALO_DATA_DIR') ?? './data';
}

function database(env: Env): DatabaseConfig {
  const url = read(env, 'DATABASE_URL');
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_URL', 'a postgres:// URL', REDACTED);
    return { kind: 'postgres', url };
  }
  return { kind: 'pglite', dataDir: read(env, 'PGLITE_DATA_DIR') ?? `${dataDir(env)}/pglite` };
}

function drachtio(env: Env): DrachtioConfig | undefined {
  const host = read(env, 'DRACHTIO_HOST');
  if (host === undefined) return undefined;
  const adminSecret = secret(env, 'DRACHTIO_SECRET', 'a drachtio-server admin secret', SERVER_SECRET_LENGTH);
  if (adminSecret === undefined) throw new ConfigError('DRACHTIO_SECRET', 'the drachtio-server admin secret when DRACHTIO_HOST is set', undefined);
  return { host, port: integer(env, 'DRACHTIO_PORT', 9022, 1, 65535), secret: adminSecret };
}

function webSocketUrl(env: Env): string | undefined {
  const url = read(env, 'SIP_WS_URL');
  if (url !== undefined && !/^wss?:\/\/[^\s]+$/.test(url)) throw new ConfigError('SIP_WS_URL', 'a ws:// or wss:// URL', url);
  return url;
}

function iceConfig(env: Env): IceConfig {
  const raw = read(env, 'WEBRTC_ICE_URLS');
  const urls = raw === undefined ? [] : raw.split(',').map((url) => url.trim());
  if (urls.some((url) => !/^(stuns?|turns?):[^\s,]+$/i.test(url)))
    throw new ConfigError('WEBRTC_ICE_URLS', 'a comma-separated list of stun:, turn: or turns: URLs', raw);
  const turnSecret = secret(env, 'WEBRTC_TURN_SECRET', 'a TURN shared secret', SERVER_SECRET_LENGTH);
  if (turnSecret === undefined && urls.some((url) => /^turns?:/i.test(url))) {
    throw new ConfigError('WEBRTC_TURN_SECRET', "the TURN server's shared secret (coturn static-auth-secret) when WEBRTC_ICE_URLS has a turn: URL", undefined);
  }
  return { urls, turnSecret };
}

function sip(env: Env, drachtioConfigured: boolean): SipConfig | undefined {
  const settings = sipSettings(env);
  const sipSecret = settings.secret;
  if (sipSecret === undefined && !drachtioConfigured) return undefined;
  if (sipSecret === undefined) throw new ConfigError('SIP_SECRET', 'a random secret of at least 32 characters (needed with DRACHTIO_HOST)', undefined);
  return { ...settings, secret: sipSecret };
}

function sipSettings(env: Env): SipSettings {
  const sipSecret = secret(env, 'SIP_SECRET', 'a random secret', 32);
  const min = integer(env, 'SIP_REGISTER_MIN_EXPIRES', 60, 1, 86_400);
  const maxFailures = integer(env, 'SIP_AUTH_MAX_FAILURES', 10, 1, 1_000_000);
  const maxRefusals = integer(env, 'SIP_FLOOD_MAX_REFUSALS', 20, 1, 1_000_000);
  const max = integer(env, 'SIP_REGISTER_MAX_EXPIRES', 3600, min, 86_400);
  return {
    realm: read(env, 'SIP_REALM') ?? 'dialo',
    secret: sipSecret,
    challengeAlgorithm: oneOf(env, 'SIP_DIGEST_ALGORITHM', ['MD5', 'SHA-256'] as const, 'MD5'),
    nonceTtlSeconds: integer(env, 'SIP_NONCE_TTL_SECONDS', 300, 1, 86_400),
    browserCredentialTtlSeconds: integer(env, 'SIP_BROWSER_CREDENTIAL_TTL_SECONDS', 3600, 60, 86_400),
    webSocketUrl: webSocketUrl(env),
    ice: iceConfig(env),
    registerExpires: { min, max, default: integer(env, 'SIP_REGISTER_DEFAULT_EXPIRES', 3600, min, max) },
    registerLimits: {
      maxBindings: integer(env, 'SIP_REGISTER_MAX_BINDINGS', 10, 1, 100),
      maxContactLength: integer(env, 'SIP_REGISTER_MAX_CONTACT_LENGTH', 512, 64, 4096),
    },
    bruteForce: {
      maxStrikes: maxFailures,
      maxStrikesPerAddress: integer(env, 'SIP_AUTH_MAX_FAILURES_PER_ADDRESS', Math.max(50, maxFailures), maxFailures, 1_000_000),
      windowMs: integer(env, 'SIP_AUTH_FAILURE_WINDOW_SECONDS', 60, 1, 86_400) * 1000,
      blockMs: integer(env, 'SIP_AUTH_BLOCK_SECONDS', 300, 1, 86_400) * 1000,
    },
    flood: {
      maxStrikes: maxRefusals,
      maxStrikesPerAddress: integer(env, 'SIP_FLOOD_MAX_REFUSALS_PER_ADDRESS', Math.max(200, maxRefusals), maxRefusals, 1_000_000),
      windowMs: integer(env, 'SIP_FLOOD_WINDOW_SECONDS', 10, 1, 3600) * 1000,
      blockMs: integer(env, 'SIP_FLOOD_BLOCK_SECONDS', 60, 1, 86_400) * 1000,
    },
    cachePollMs: integer(env, 'CACHE_POLL_MS', 1000, 50, 60_000),
    webSocketProxies: addressesOrCidrs(env, 'SIP_WS_PROXIES', "the WebSocket proxies' addresses or CIDRs"),
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function publicUrl(env: Env): { publicUrl: string; secureCookies: boolean } {
  const raw = read(env, 'PUBLIC_URL') ?? 'http://127.0.0.1:8080';
  const expected = 'an https:// URL (http:// only for localhost), without path';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', expected, raw);
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if ((url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) || url.pathname !== '/' || url.search !== '') {
    throw new ConfigError('PUBLIC_URL', expected, raw);
  }
  return { publicUrl: url.origin, secureCookies: !local };
}

function media(env: Env): MediaConfig | undefined {
  const raw = read(env, 'MEDIA_SERVERS');
  if (raw === undefined) return undefined;
  const servers = raw.split(',').map((entry) => /^\s*([^\s:]+):(\d{1,5})\s*$/.exec(entry));
  if (servers.some((match) => match === null || Number(match[2]) < 1 || Number(match[2]) > 65535)) {
    throw new ConfigError('MEDIA_SERVERS', 'a comma-separated list of FreeSWITCH event sockets as host:port', raw);
  }
  const eslPassword = secret(env, 'MEDIA_SERVER_SECRET', 'a FreeSWITCH event-socket password', SERVER_SECRET_LENGTH);
  if (eslPassword === undefined) throw new ConfigError('MEDIA_SERVER_SECRET', 'the FreeSWITCH event-socket password when MEDIA_SERVERS is set', undefined);
  return { servers: servers.map((match) => ({ host: match![1]!, port: Number(match![2]) })), secret: eslPassword, ...mediaSettings(env) };
}

function mediaSettings(env: Env): Omit<MediaConfig, 'servers' | 'secret'> {
  return {
    listenAddress: read(env, 'MEDIA_LISTEN_ADDRESS') ?? '127.0.0.1',
    advertisedAddress: read(env, 'MEDIA_ADVERTISED_ADDRESS'),
    retryMs: integer(env, 'MEDIA_SERVER_RETRY_SECONDS', 5, 1, 300) * 1000,
  };
}

function portRange(env: Env, name: string, fallback: string): PortRange {
  const raw = read(env, name) ?? fallback;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  const [start, end] = [Number(match?.[1]), Number(match?.[2])];
  if (match === null || start < 1024 || end > 65535 || end < start) throw new ConfigError(name, 'a port range such as 16384-16983 (from 1024 to 65535)', raw);
  return { start, end };
}

/** A comma-separated list of addresses or CIDRs; unset: none. */
function addressesOrCidrs(env: Env, name: string, what: string): readonly string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  const entries = raw.split(',').map((entry) => entry.trim());
  const valid = (entry: string) => {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  };
  if (!entries.every(valid)) throw new ConfigError(name, `a comma-separated list of ${what} such as 172.30.0.0/24`, raw);
  return entries;
}

function metrics(env: Env): MetricsConfig {
  const raw = read(env, 'METRICS_LISTEN');
  const match = raw === undefined ? undefined : /^(\[[0-9a-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/i.exec(raw);
  if (match === null || (match !== undefined && Number(match[2]) > 65535))
    throw new ConfigError('METRICS_LISTEN', 'host:port of a private address for /metrics, such as 127.0.0.1:9464', raw);
  const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1');
  return {
    listen: match === undefined ? undefined : { host: host!, port: Number(match[2]) },
    token: secret(env, 'METRICS_TOKEN', 'a random bearer token for /metrics', 32),
  };
}

function localServers(env: Env): LocalServersConfig {
  const port = (name: string, fallback: number) => integer(env, name, fallback, 1, 65535);
  return {
    mode: oneOf(env, 'LOCAL_SERVERS', ['auto', 'off'] as const, 'auto'),
    dataDir: dataDir(env),
    searchPath: env.PATH ?? '',
    ports: {
      sip: port('LOCAL_SIP_PORT', 5060),
      sipWs: port('LOCAL_SIP_WS_PORT', 8088),
      drachtioAdmin: port('LOCAL_DRACHTIO_ADMIN_PORT', 9022),
      mediaSip: port('LOCAL_MEDIA_SIP_PORT', 5080),
      mediaEsl: port('LOCAL_MEDIA_ESL_PORT', 8021),
      rtp: portRange(env, 'LOCAL_RTP_PORTS', '16384-16983'),
      turn: port('LOCAL_TURN_PORT', 3478),
      turnRelay: portRange(env, 'LOCAL_TURN_RELAY_PORTS', '49152-49251'),
    },
    sip: sipSettings(env),
    media: mediaSettings(env),
  };
}

function calls(env: Env): CallsConfig {
  const defaultCountry = read(env, 'CALL_DEFAULT_COUNTRY')?.toUpperCase();
  if (defaultCountry !== undefined && !/^[A-Z]{2}$/.test(defaultCountry))
    throw new ConfigError('CALL_DEFAULT_COUNTRY', 'an ISO 3166 two-letter country code', defaultCountry);
  const defaultCallerId = read(env, 'CALLER_ID_DEFAULT');
  if (defaultCallerId !== undefined && !/^\+[1-9]\d{6,14}$/.test(defaultCallerId))
    throw new ConfigError('CALLER_ID_DEFAULT', 'an E.164 number such as +14155550100', defaultCallerId);
  const heartbeatSeconds = integer(env, 'CALL_HEARTBEAT_SECONDS', 15, 1, 300);
  const reconnectGraceSeconds = integer(env, 'CALL_RECONNECT_GRACE_SECONDS', 30, 1, 600);
  return {
    nodeId: read(env, 'SIGNALING_NODE_ID') ?? hostname(),
    defaultCountry,
    defaultCallerId,
    trunkTimeoutMs: integer(env, 'TRUNK_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
    trunkPing: trunkPing(env),
    trunkRegister: trunkRegister(env),
    heartbeatMs: heartbeatSeconds * 1000,
    nodeDeadMs: integer(env, 'CALL_NODE_DEAD_SECONDS', Math.max(60, 4 * heartbeatSeconds), 2 * heartbeatSeconds, 86_400) * 1000,
    sipProbeMs: integer(env, 'SIP_PROBE_SECONDS', 5, 1, 300) * 1000,
    reconnect: { graceMs: reconnectGraceSeconds * 1000, probeMs: Math.min(10_000, Math.ceil((reconnectGraceSeconds * 1000) / 3)) },
    echoTest: echoTest(env),
  };
}

function trunkPing(env: Env): CallsConfig['trunkPing'] {
  const intervalMs = integer(env, 'TRUNK_PING_INTERVAL_MS', 30_000, 0, 3_600_000);
  // Below 100 ms a ping would be sent before the last one could be answered; 0 is the way to turn pinging off.
  if (intervalMs > 0 && intervalMs < 100) throw new ConfigError('TRUNK_PING_INTERVAL_MS', '0 (off) or an integer from 100 to 3600000', String(intervalMs));
  return { intervalMs, failuresBeforeDown: integer(env, 'TRUNK_PING_FAILURES', 3, 1, 100) };
}

function trunkRegister(env: Env): CallsConfig['trunkRegister'] {
  const retryMinMs = integer(env, 'TRUNK_REGISTER_RETRY_MIN_MS', 5000, 100, 3_600_000);
  const retryMaxMs = integer(env, 'TRUNK_REGISTER_RETRY_MAX_MS', 300_000, 100, 3_600_000);
  if (retryMaxMs < retryMinMs) throw new ConfigError('TRUNK_REGISTER_RETRY_MAX_MS', `at least TRUNK_REGISTER_RETRY_MIN_MS (${retryMinMs})`, String(retryMaxMs));
  return { retryMinMs, retryMaxMs, leaseMs: integer(env, 'TRUNK_REGISTER_LEASE_SECONDS', 60, 5, 3600) * 1000 };
}

function echoTest(env: Env): EchoTestConfig | undefined {
  const number = read(env, 'ECHO_TEST_NUMBER') ?? '*43';
  const maxSeconds = integer(env, 'ECHO_TEST_MAX_SECONDS', 600, 1, 86_400);
  if (number.toLowerCase() === 'off') return undefined;
  // Dialable characters only, and never a phone number (that would shadow a real destination): must hold * or #.
  if (!/^[0-9*#]{1,15}$/.test(number) || !/[*#]/.test(number))
    throw new ConfigError('ECHO_TEST_NUMBER', 'a short code with * or # such as *43, or off', number);
  return { number, maxSeconds };
}

function billing(env: Env): BillingConfig {
  const currency = (read(env, 'BILLING_CURRENCY') ?? 'usd').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency) || !Intl.supportedValuesOf('currency').includes(currency.toUpperCase())) {
    throw new ConfigError('BILLING_CURRENCY', 'an ISO 4217 currency code such as usd', currency);
  }
  const topUpMinMinor = integer(env, 'TOPUP_MIN_MINOR', 500, 1, 100_000_000);
  const topUpMaxMinor = integer(env, 'TOPUP_MAX_MINOR', 50_000, 1, 100_000_000);
  if (topUpMaxMinor < topUpMinMinor) throw new ConfigError('TOPUP_MAX_MINOR', `at least TOPUP_MIN_MINOR (${topUpMinMinor})`, String(topUpMaxMinor));
  return {
    currency,
    maxConcurrentCalls: integer(env, 'BILLING_MAX_CONCURRENT_CALLS', 3, 1, 1000),
    maxCallSeconds: integer(env, 'BILLING_MAX_CALL_SECONDS', 14_400, 60, 86_400),
    reservationGraceSeconds: integer(env, 'BILLING_RESERVATION_GRACE_SECONDS', 180, 10, 3600),
    topUpMinMinor,
    topUpMaxMinor,
  };
}

function stripe(env: Env): StripeConfig | undefined {
  const names = ['STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_WEBHOOK_SECRET'] as const;
  const [secretKey, publishableKey, webhookSecret] = names.map((name) => read(env, name));
  if (secretKey === undefined && publishableKey === undefined && webhookSecret === undefined) return undefined;
  const missing = names.find((name) => read(env, name) === undefined);
  if (missing !== undefined) throw new ConfigError(missing, 'set when any STRIPE_* key is set (all three or none)', undefined);
  if (!/^(sk|rk)_/.test(secretKey!)) throw new ConfigError('STRIPE_SECRET_KEY', 'a Stripe secret key (sk_...)', REDACTED);
  if (!/^pk_/.test(publishableKey!)) throw new ConfigError('STRIPE_PUBLISHABLE_KEY', 'a Stripe publishable key (pk_...)', publishableKey);
  if (!/^whsec_/.test(webhookSecret!)) throw new ConfigError('STRIPE_WEBHOOK_SECRET', 'a Stripe webhook signing secret (whsec_...)', REDACTED);
  return { secretKey: secretKey!, publishableKey: publishableKey!, webhookSecret: webhookSecret! };
}

function smtp(env: Env): Config['smtp'] {
  const url = read(env, 'SMTP_URL');
  if (url === undefined) return undefined;
  if (!/^smtps?:\/\/[^/]+/.test(url)) throw new ConfigError('SMTP_URL', 'an smtp:// or smtps:// URL', REDACTED);
  const from = read(env, 'MAIL_FROM') ?? 'Dialo <no-reply@localhost>';
  if (!/^[^\r\n]*@[^\r\n]*$/.test(from)) throw new ConfigError('MAIL_FROM', 'a sender such as "Dialo <no-reply@example.org>"', from);
  return { url, from };
}

function authLimits(env: Env): AuthLimits {
  const max = (name: string, limit: Limit, min = 1): Limit => ({ ...limit, max: integer(env, name, limit.max, min, 1_000_000) });
  const d = DEFAULT_AUTH_LIMITS;
  const loginFailuresPerIp = max('AUTH_LOGIN_FAILURES_PER_IP', d.loginFailuresPerIp);
  return {
    loginFailuresPerIp,
    // Above the per-IP count, so one attacker's source is blocked before the account they guess at.
    loginFailuresPerAddress: max('AUTH_LOGIN_FAILURES_PER_ADDRESS', d.loginFailuresPerAddress, loginFailuresPerIp.max + 1),
    resetPerAddress: max('AUTH_RESETS_PER_ADDRESS', d.resetPerAddress),
    resetPerIp: max('AUTH_RESETS_PER_IP', d.resetPerIp),
    reauthPerAccount: max('AUTH_REAUTH_FAILURES', d.reauthPerAccount),
    signupPerAddress: max('AUTH_SIGNUPS_PER_ADDRESS', d.signupPerAddress),
    signupPerIp: max('AUTH_SIGNUPS_PER_IP', d.signupPerIp),
    emailChangePerAccount: max('AUTH_EMAIL_CHANGES_PER_ACCOUNT', d.emailChangePerAccount),
  };
}

function privacy(env: Env): PrivacyConfig {
  const hashKey = secret(env, 'PRIVACY_HASH_KEY', 'a secret', 32);
  const masterKey = secret(env, 'PRIVACY_MASTER_KEY', 'a random secret', 32);
  const operatorContact = read(env, 'OPERATOR_CONTACT_EMAIL') ?? 'privacy@localhost';
  if (!/^[^\s@]+@[^\s@]+$/.test(operatorContact)) throw new ConfigError('OPERATOR_CONTACT_EMAIL', 'an e-mail address', operatorContact);
  return {
    hashKey,
    masterKey,
    operatorContact,
    retention: {
      usageDays: integer(env, 'RETENTION_USAGE_DAYS', 30, 1, 3650),
      callDetailDays: integer(env, 'RETENTION_CALL_DETAIL_DAYS', 90, 1, 3650),
      deidentifiedYears: integer(env, 'RETENTION_DEIDENTIFIED_YEARS', 7, 1, 30),
      sentMailDays: integer(env, 'RETENTION_SENT_MAIL_DAYS', 7, 1, 3650),
    },
  };
}

/** The pair must be a P-256 key and its own public point: a mismatch would only show as every push refused. */
function vapidPair(publicKey: string, privateKey: string): boolean {
  if (!/^[A-Za-z0-9_-]{87}$/.test(publicKey) || !/^[A-Za-z0-9_-]{43}$/.test(privateKey)) return false;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
    return ecdh.getPublicKey().equals(Buffer.from(publicKey, 'base64url'));
  } catch {
    return false;
  }
}

function push(env: Env, operatorContact: string): PushConfig {
  const publicKey = read(env, 'VAPID_PUBLIC_KEY');
  const privateKey = read(env, 'VAPID_PRIVATE_KEY');
  if ((publicKey === undefined) !== (privateKey === undefined)) {
    const missing = publicKey === undefined ? 'VAPID_PUBLIC_KEY' : 'VAPID_PRIVATE_KEY';
    throw new ConfigError(missing, 'set when the other VAPID key is set (both or neither)', undefined);
  }
  if (publicKey !== undefined && !vapidPair(publicKey, privateKey!)) {
    throw new ConfigError(
      'VAPID_PRIVATE_KEY',
      'a base64url P-256 private key whose public key is VAPID_PUBLIC_KEY (npx web-push generate-vapid-keys)',
      REDACTED,
    );
  }
  const subject = read(env, 'VAPID_SUBJECT') ?? `mailto:${operatorContact}`;
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/[^\s/]+(\/\S*)?)$/.test(subject)) {
    throw new ConfigError('VAPID_SUBJECT', 'a mailto: address or an https: URL where push services can reach the operator', subject);
  }
  return {
    vapid: publicKey === undefined ? undefined : { publicKey, privateKey: privateKey! },
    subject,
    ringSeconds: integer(env, 'PUSH_RING_SECONDS', 30, 1, 120),
    serviceHosts: pushServiceHosts(env),
  };
}

function pushServiceHosts(env: Env): readonly string[] {
  const raw = read(env, 'PUSH_SERVICE_HOSTS');
  if (raw === undefined) return DEFAULT_PUSH_SERVICE_HOSTS;
  const hosts = raw.split(',').map((host) => host.trim().toLowerCase());
  if (!hosts.every(isPushServicePattern)) throw new ConfigError('PUSH_SERVICE_HOSTS', 'comma-separated host names, each optionally *.domain', raw);
  return hosts;
}

function countries(env: Env, name: string): readonly string[] {
  const raw = read(env, name) ?? ANY_COUNTRY;
  if (raw === ANY_COUNTRY) return [ANY_COUNTRY];
  const codes = raw.split(',').map((code) => code.trim().toUpperCase());
  if (codes.some((code) => !/^[A-Z]{2}$/.test(code)))
    throw new ConfigError(name, `${ANY_COUNTRY} or comma-separated ISO 3166 two-letter codes such as US,CA`, raw);
  return codes;
}

function abuse(env: Env, maxConcurrentCalls: number, operatorContact: string): AbusePolicy {
  const alertEmail = read(env, 'ABUSE_ALERT_EMAIL') ?? operatorContact;
  if (!/^[^\s@]+@[^\s@]+$/.test(alertEmail)) throw new ConfigError('ABUSE_ALERT_EMAIL', 'an e-mail address', alertEmail);
  return {
    defaults: {
      maxConcurrentCalls,
      callsPerMinute: integer(env, 'ABUSE_CALLS_PER_MINUTE', 20, 0, 100_000),
      dailySpendCap: amount(env, 'ABUSE_DAILY_SPEND_CAP', '100'),
      allowedCountries: countries(env, 'ABUSE_ALLOWED_COUNTRIES'),
    },
    newAccount: {
      days: integer(env, 'ABUSE_NEW_ACCOUNT_DAYS', 7, 0, 3650),
      limits: {
        maxConcurrentCalls: integer(env, 'ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS', 2, 1, 1000),
        callsPerMinute: integer(env, 'ABUSE_NEW_ACCOUNT_CALLS_PER_MINUTE', 10, 0, 100_000),
        dailySpendCap: amount(env, 'ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP', '10'),
      },
    },
    blockPremiumRate: flag(env, 'ABUSE_BLOCK_PREMIUM_RATE', true),
    burst: {
      windowSeconds: integer(env, 'ABUSE_BURST_WINDOW_SECONDS', 600, 10, 86_400),
      shortCallSeconds: integer(env, 'ABUSE_BURST_SHORT_CALL_SECONDS', 15, 1, 3600),
      destinations: integer(env, 'ABUSE_BURST_DESTINATIONS', 10, 0, 100_000),
    },
    spike: {
      factor: integer(env, 'ABUSE_SPIKE_FACTOR', 10, 0, 1000),
      minSpend: amount(env, 'ABUSE_SPIKE_MIN_SPEND', '20'),
      baselineDays: integer(env, 'ABUSE_SPIKE_BASELINE_DAYS', 7, 1, 90),
    },
    alertEmail,
  };
}

/** Parses the environment into a {@link Config}, or throws a {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const billingConfig = billing(env);
  const privacyConfig = privacy(env);
  return {
    roles: roles(env),
    http: {
      host: read(env, 'HTTP_HOST') ?? '127.0.0.1',
      port: integer(env, 'HTTP_PORT', 8080, 0, 65535),
    },
    trustedProxies: addressesOrCidrs(env, 'TRUST_PROXY', 'proxy addresses or CIDRs'),
    database: database(env),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    drachtio: drachtio(env),
    sip: sip(env, read(env, 'DRACHTIO_HOST') !== undefined),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    ...publicUrl(env),
    sessionTtlHours: integer(env, 'SESSION_TTL_HOURS', 336, 1, 8760),
    authLimits: authLimits(env),
    billing: billingConfig,
    stripe: stripe(env),
    calls: calls(env),
    media: media(env),
    smtp: smtp(env),
    privacy: privacyConfig,
    abuse: abuse(env, billingConfig.maxConcurrentCalls, privacyConfig.operatorContact),
    localServers: localServers(env),
    metrics: metrics(env),
    push: push(env, privacyConfig.operatorContact),
  };
}

/**
 * Boot-time entry: reads `.env` from the working directory when there is one (the environment wins),
 * then {@link loadConfig}. A bad value ends the process here with one line on stderr and exit code 1.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    if (env === process.env) {
      try {
        process.loadEnvFile('.env');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return loadConfig(env);
  } catch (error) {
    return exitOnConfigError(error);
  }
}

/** A {@link ConfigError} ends the process with one line on stderr naming the variable; anything else is rethrown. */
export function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`dialo: invalid configuration: ${error.message}\n`);
  process.exit(1);
}
