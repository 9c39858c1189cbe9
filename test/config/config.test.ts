import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';

describe('config', () => {
  it('runs every role on embedded PGlite by default', () => {
    const config = loadConfig({});
    expect([...config.roles]).toEqual(['api', 'signaling', 'jobs']);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data/pglite' });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.drachtio).toBeUndefined();
  });

  it('uses Postgres when DATABASE_URL is set, and an empty value means unset', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(loadConfig({ DATABASE_URL: '  ' }).database.kind).toBe('pglite');
  });

  it.each([
    [{ HTTP_PORT: 'eighty' }, 'HTTP_PORT: expected an integer from 0 to 65535, got "eighty"'],
    [{ HTTP_PORT: '70000' }, 'HTTP_PORT: expected an integer from 0 to 65535, got "70000"'],
    [{ DIALO_ROLES: 'api,web' }, 'DIALO_ROLES: expected a comma-separated list of api, signaling, jobs, got "api,web"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [{ DRACHTIO_HOST: '127.0.0.1' }, 'DRACHTIO_SECRET: expected the drachtio-server admin secret when DRACHTIO_HOST is set, got nothing'],
    [
      { SIP_SECRET: 's'.repeat(32), WEBRTC_ICE_URLS: 'http://stun.example.org' },
      'WEBRTC_ICE_URLS: expected a comma-separated list of stun:, turn: or turns: URLs, got "http://stun.example.org"',
    ],
    [
      { SIP_SECRET: 's'.repeat(32), WEBRTC_ICE_URLS: 'turn:turn.example.org' },
      "WEBRTC_TURN_SECRET: expected the TURN server's shared secret (coturn static-auth-secret) when WEBRTC_ICE_URLS has a turn: URL, got nothing",
    ],
    [{ MEDIA_SERVERS: '127.0.0.1' }, 'MEDIA_SERVERS: expected a comma-separated list of FreeSWITCH event sockets as host:port, got "127.0.0.1"'],
    [{ MEDIA_SERVERS: '127.0.0.1:8021' }, 'MEDIA_SERVER_SECRET: expected the FreeSWITCH event-socket password when MEDIA_SERVERS is set, got nothing'],
    [{ ABUSE_DAILY_SPEND_CAP: '-1' }, 'ABUSE_DAILY_SPEND_CAP: expected an amount in currency units such as 25 or 0.50 (at least 0), got "-1"'],
    [{ ABUSE_SPIKE_MIN_SPEND: '1.1234567' }, 'ABUSE_SPIKE_MIN_SPEND: expected an amount'],
    [{ ABUSE_ALLOWED_COUNTRIES: 'USA' }, 'ABUSE_ALLOWED_COUNTRIES: expected * or comma-separated ISO 3166 two-letter codes'],
    [{ ABUSE_BLOCK_PREMIUM_RATE: 'yes' }, 'ABUSE_BLOCK_PREMIUM_RATE: expected true or false, got "yes"'],
    [{ ABUSE_ALERT_EMAIL: 'nobody' }, 'ABUSE_ALERT_EMAIL: expected an e-mail address'],
    [{ ECHO_TEST_NUMBER: '+14155550100' }, 'ECHO_TEST_NUMBER: expected a short code with * or # such as *43, or off, got "+14155550100"'],
    [{ ECHO_TEST_NUMBER: '4300' }, 'ECHO_TEST_NUMBER: expected a short code with * or # such as *43, or off, got "4300"'],
    [{ ECHO_TEST_MAX_SECONDS: '0' }, 'ECHO_TEST_MAX_SECONDS: expected an integer from 1 to 86400, got "0"'],
    [{ TRUNK_PING_INTERVAL_MS: '50' }, 'TRUNK_PING_INTERVAL_MS: expected 0 (off) or an integer from 100 to 3600000, got "50"'],
    [{ TRUNK_PING_FAILURES: '0' }, 'TRUNK_PING_FAILURES: expected an integer from 1 to 100, got "0"'],
    [{ AUTH_SIGNUPS_PER_IP: '0' }, 'AUTH_SIGNUPS_PER_IP: expected an integer from 1 to 1000000, got "0"'],
    [{ AUTH_EMAIL_CHANGES_PER_ACCOUNT: '1e3' }, 'AUTH_EMAIL_CHANGES_PER_ACCOUNT: expected an integer from 1 to 1000000, got "1e3"'],
    [{ AUTH_LOGIN_FAILURES_PER_ADDRESS: '10' }, 'AUTH_LOGIN_FAILURES_PER_ADDRESS: expected an integer from 11 to 1000000, got "10"'],
    [
      { AUTH_LOGIN_FAILURES_PER_IP: '40', AUTH_LOGIN_FAILURES_PER_ADDRESS: '30' },
      'AUTH_LOGIN_FAILURES_PER_ADDRESS: expected an integer from 41 to 1000000, got "30"',
    ],
    [{ METRICS_LISTEN: '9464' }, 'METRICS_LISTEN: expected host:port of a private address for /metrics, such as 127.0.0.1:9464, got "9464"'],
    [
      { METRICS_LISTEN: '127.0.0.1:99999' },
      'METRICS_LISTEN: expected host:port of a private address for /metrics, such as 127.0.0.1:9464, got "127.0.0.1:99999"',
    ],
    [{ TRUST_PROXY: 'caddy' }, 'TRUST_PROXY: expected a comma-separated list of proxy addresses or CIDRs such as 172.30.0.0/24, got "caddy"'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY: expected a comma-separated list of proxy addresses or CIDRs such as 172.30.0.0/24, got "10.0.0.0/33"'],
    [
      { SIP_WS_PROXIES: 'caddy' },
      'SIP_WS_PROXIES: expected a comma-separated list of the WebSocket proxies\' addresses or CIDRs such as 172.30.0.0/24, got "caddy"',
    ],
    [{ CALL_RECONNECT_GRACE_SECONDS: '0' }, 'CALL_RECONNECT_GRACE_SECONDS: expected an integer from 1 to 600, got "0"'],
    [{ PUSH_RING_SECONDS: '0' }, 'PUSH_RING_SECONDS: expected an integer from 1 to 120, got "0"'],
    [{ PUSH_RING_SECONDS: '121' }, 'PUSH_RING_SECONDS: expected an integer from 1 to 120, got "121"'],
    [{ PUSH_SERVICE_HOSTS: 'https://fcm.googleapis.com' }, 'PUSH_SERVICE_HOSTS: expected comma-separated host names, each optionally *.domain'],
    [{ PUSH_SERVICE_HOSTS: 'fcm.googleapis.com,*' }, 'PUSH_SERVICE_HOSTS: expected comma-separated host names, each optionally *.domain'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN: expected a random bearer token for /metrics of at least 32 characters, got "<redacted>"'],
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("rings a pushed callee's caller 30 s by default, and pushes only to the known browsers' push services unless PUSH_SERVICE_HOSTS says", () => {
    const defaults = loadConfig({}).push;
    expect([defaults.ringSeconds, defaults.serviceHosts]).toEqual([
      30,
      ['fcm.googleapis.com', 'updates.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com'],
    ]);
    const set = loadConfig({ PUSH_RING_SECONDS: '5', PUSH_SERVICE_HOSTS: ' Push.Example.org, *.push.apple.com' }).push;
    expect([set.ringSeconds, set.serviceHosts]).toEqual([5, ['push.example.org', '*.push.apple.com']]);
  });

  it('trusts no proxy by default, and the addresses and CIDRs TRUST_PROXY names', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '172.30.0.0/24, 10.0.0.5,::1' }).trustedProxies).toEqual(['172.30.0.0/24', '10.0.0.5', '::1']);
  });

  it('keeps /metrics private by default: no listener of its own, no token; both when set', () => {
    expect(loadConfig({}).metrics).toEqual({ listen: undefined, token: undefined });
    const token = 't'.repeat(32);
    expect(loadConfig({ METRICS_LISTEN: '10.0.0.5:9464', METRICS_TOKEN: token }).metrics).toEqual({ listen: { host: '10.0.0.5', port: 9464 }, token });
    expect(loadConfig({ METRICS_LISTEN: '[::1]:9464' }).metrics.listen).toEqual({ host: '::1', port: 9464 });
  });

  it('reads the attempt limits: counts from AUTH_*, windows fixed, a source blocked before an account', () => {
    const limits = loadConfig({ AUTH_SIGNUPS_PER_IP: '500', AUTH_LOGIN_FAILURES_PER_IP: '5' }).authLimits;
    expect(limits.signupPerIp).toEqual({ max: 500, windowSeconds: 3600 });
    expect(limits.loginFailuresPerIp).toEqual({ max: 5, windowSeconds: 900 });
    const defaults = loadConfig({}).authLimits;
    expect(defaults.loginFailuresPerAddress.max).toBeGreaterThan(defaults.loginFailuresPerIp.max);
  });

  it('never echoes a database URL, which may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).toThrow('DATABASE_URL: expected a postgres:// URL, got "<redacted>"');
  });

  // Each secret with what else it needs set; a published default (whatever its case), or one too short, stops the boot.
  const STRONG = 'k7'.repeat(20);
  it.each([
    ['DRACHTIO_SECRET', { DRACHTIO_HOST: '10.0.0.5', SIP_SECRET: STRONG }],
    ['SIP_SECRET', {}],
    ['MEDIA_SERVER_SECRET', { MEDIA_SERVERS: '10.0.0.7:8021' }],
    ['WEBRTC_TURN_SECRET', { SIP_SECRET: STRONG, WEBRTC_ICE_URLS: 'turn:turn.example.org' }],
    ['PRIVACY_HASH_KEY', {}],
  ])('%s: refuses published defaults and short values, naming the setting and never its value', (name, rest) => {
    for (const weak of ['ClueCon', 'cluecon', 'cymru', 'north', 'short-secret']) {
      const load = () => loadConfig({ ...rest, [name]: weak });
      expect(load).toThrow(new RegExp(`^${name}: expected .*, got "<redacted>"$`));
      expect(load).toThrow(weak === 'short-secret' ? /of at least \d+ characters/ : /not the published default/);
      expect(() => load()).not.toThrow(weak);
    }
    expect(() => loadConfig({ ...rest, [name]: STRONG })).not.toThrow();
  });

  it('makes cookies Secure unless the public URL is localhost, and refuses plain http elsewhere', () => {
    expect(loadConfig({})).toMatchObject({ publicUrl: 'http://127.0.0.1:8080', secureCookies: false, sessionTtlHours: 336 });
    expect(loadConfig({ PUBLIC_URL: 'https://dialo.example.org/' })).toMatchObject({ publicUrl: 'https://dialo.example.org', secureCookies: true });
    expect(() => loadConfig({ PUBLIC_URL: 'http://dialo.example.org' })).toThrow('PUBLIC_URL: expected an https:// URL');
    expect(() => loadConfig({ PUBLIC_URL: 'https://dialo.example.org/app' })).toThrow('PUBLIC_URL: expected');
  });

  it('reads SMTP settings without ever echoing the URL', () => {
    expect(loadConfig({}).smtp).toBeUndefined();
    expect(loadConfig({ SMTP_URL: 'smtp://u:p@mail.example.org:587' }).smtp).toEqual({
      url: 'smtp://u:p@mail.example.org:587',
      from: 'Dialo <no-reply@localhost>',
    });
    expect(() => loadConfig({ SMTP_URL: 'http://u:secret@x' })).toThrow('SMTP_URL: expected an smtp:// or smtps:// URL, got "<redacted>"');
  });

  it('reads the abuse defaults: concurrency from BILLING_MAX_CONCURRENT_CALLS, amounts in currency units, alerts to the operator contact', () => {
    const config = loadConfig({
      BILLING_MAX_CONCURRENT_CALLS: '5',
      ABUSE_DAILY_SPEND_CAP: '12.50',
      ABUSE_ALLOWED_COUNTRIES: 'us, gb',
      OPERATOR_CONTACT_EMAIL: 'noc@example.org',
    });
    expect(config.abuse.defaults).toEqual({ maxConcurrentCalls: 5, callsPerMinute: 20, dailySpendCap: 12_500_000, allowedCountries: ['US', 'GB'] });
    expect(config.abuse.alertEmail).toBe('noc@example.org');
    expect(loadConfig({ ABUSE_ALERT_EMAIL: 'fraud@example.org' }).abuse.alertEmail).toBe('fraud@example.org');
    expect(loadConfig({}).abuse.defaults.allowedCountries).toEqual(['*']);
  });

  it('offers the echo test on *43 for up to 10 minutes by default; off turns it off', () => {
    expect(loadConfig({}).calls.echoTest).toEqual({ number: '*43', maxSeconds: 600 });
    expect(loadConfig({ ECHO_TEST_NUMBER: '#9', ECHO_TEST_MAX_SECONDS: '30' }).calls.echoTest).toEqual({ number: '#9', maxSeconds: 30 });
    expect(loadConfig({ ECHO_TEST_NUMBER: 'off' }).calls.echoTest).toBeUndefined();
    expect(loadConfig({ ECHO_TEST_NUMBER: ' OFF ' }).calls.echoTest).toBeUndefined();
  });

  it('pings each trunk every 30 s and skips it after 3 failures by default; 0 turns pinging off', () => {
    expect(loadConfig({}).calls.trunkPing).toEqual({ intervalMs: 30_000, failuresBeforeDown: 3 });
    expect(loadConfig({ TRUNK_PING_INTERVAL_MS: '0', TRUNK_PING_FAILURES: '1' }).calls.trunkPing).toEqual({ intervalMs: 0, failuresBeforeDown: 1 });
  });

  it('waits 30 s for a browser leg to reconnect by default, probing it every 10 s; a short grace is probed thrice', () => {
    expect(loadConfig({}).calls.reconnect).toEqual({ graceMs: 30_000, probeMs: 10_000 });
    expect(loadConfig({ CALL_RECONNECT_GRACE_SECONDS: '3' }).calls.reconnect).toEqual({ graceMs: 3000, probeMs: 1000 });
  });
});
