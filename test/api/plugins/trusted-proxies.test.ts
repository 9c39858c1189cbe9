// Behind a reverse proxy (Caddy in infra/compose.yaml) per-IP limits must count the client, not the proxy: the API
// believes X-Forwarded-For from the proxies TRUST_PROXY names, and from nobody else.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptLimiter, DEFAULT_AUTH_LIMITS } from '../../../core/accounts/throttle.ts';
import { TEST_PASSWORD, TEST_PRIVACY, testApi, uniqueEmail } from '../../harness/api.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';

const PROXY = '172.30.0.9';
// One sign-up per source address, so the second from the same client is refused.
const attempts = attemptLimiter(TEST_PRIVACY.tools, { ...DEFAULT_AUTH_LIMITS, signupPerIp: { max: 1, windowSeconds: 3600 } });

describe('X-Forwarded-For', () => {
  let database: TestDatabase;
  let behindProxy: FastifyInstance;
  let direct: FastifyInstance;
  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    behindProxy = await testApi(database, { attempts, trustedProxies: ['172.30.0.0/24'] });
    direct = await testApi(database, { attempts });
  });
  afterAll(async () => {
    await behindProxy?.close();
    await direct?.close();
    await database?.close();
  });

  const signUp = (app: FastifyInstance, remoteAddress: string, forwardedFor?: string) =>
    app.inject({
      method: 'POST',
      url: '/auth/signup',
      payload: { email: uniqueEmail('proxied'), password: TEST_PASSWORD },
      remoteAddress,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });

  it('from a trusted proxy, counts each client apart', async () => {
    expect((await signUp(behindProxy, PROXY, '198.51.100.1')).statusCode).toBe(202);
    expect((await signUp(behindProxy, PROXY, '198.51.100.2')).statusCode).toBe(202);
    expect((await signUp(behindProxy, PROXY, '198.51.100.1')).statusCode).toBe(429);
  });

  it('from anyone else, is ignored: a client cannot pose as many', async () => {
    expect((await signUp(behindProxy, '203.0.113.50', '198.51.100.3')).statusCode).toBe(202);
    expect((await signUp(behindProxy, '203.0.113.50', '198.51.100.4')).statusCode).toBe(429);
  });

  it('is ignored when no proxy is trusted', async () => {
    expect((await signUp(direct, '203.0.113.60', '198.51.100.5')).statusCode).toBe(202);
    expect((await signUp(direct, '203.0.113.60', '198.51.100.6')).statusCode).toBe(429);
  });
});
