/**
 * Login and an authenticated read (GET /auth/me) as requests/s over a real port, against a bare Fastify
 * route in the same run. `npx tsx bench/auth.ts [pglite|postgres]` (postgres: TEST_POSTGRES_URL or local).
 * Argon2id cost: 19 MiB, t=2, p=1. The login limiter is real but its counters are cleared every 100 ms, so
 * the bench measures logins rather than 429s (each login still does the limiter's database upserts).
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { ARGON2_OPTIONS } from '../core/accounts/passwords.ts';
import { freshDatabase } from '../test/harness/databases.ts';
import { TEST_PASSWORD, signIn, testApi } from '../test/harness/api.ts';

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'pglite';
const DURATION_S = 10;
const CONNECTIONS = 10;

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function measure(name: string, options: autocannon.Options): Promise<Row> {
  const result = await autocannon({ duration: DURATION_S, connections: CONNECTIONS, ...options });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

const database = await freshDatabase(dialect);
const app = await testApi(database);
const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
const bare = Fastify();
bare.get('/hello', async () => ({ ok: true }));
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

const reader = await signIn(app, database.db);
const logins = await Promise.all(Array.from({ length: 20 }, () => signIn(app, database.db)));
const clearing = setInterval(() => void database.db.deleteFrom('rate_limit_counters').execute(), 100);

const rows: Row[] = [];
rows.push(await measure('bare Fastify GET /hello', { url: `${bareUrl}/hello` }));
rows.push(await measure('GET /auth/me (session cookie)', { url: `${apiUrl}/auth/me`, headers: { cookie: reader.headers.cookie } }));
let next = 0;
rows.push(
  await measure('POST /auth/login', {
    url: `${apiUrl}/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ email: logins[next++ % logins.length]!.email, password: TEST_PASSWORD }) }),
      },
    ],
  }),
);
clearInterval(clearing);

const baseline = rows[0]!.rps;
console.log(
  `\nNode ${process.version}, ${dialect}, ${CONNECTIONS} connections, ${DURATION_S} s each; argon2id m=${ARGON2_OPTIONS.memoryCost} KiB t=${ARGON2_OPTIONS.timeCost} p=${ARGON2_OPTIONS.parallelism}\n`,
);
console.log('| request | req/s | vs bare | p50 ms | p99 ms | non-2xx |\n| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  console.log(`| ${row.name} | ${Math.round(row.rps)} | ${(row.rps / baseline).toFixed(3)} | ${row.p50} | ${row.p99} | ${row.non2xx} |`);
}
await app.close();
await bare.close();
await database.close();
