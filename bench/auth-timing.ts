/**
 * Does the time of an answer tell whether an address has an account? POST /auth/password-reset for a known and an
 * unknown address, and POST /auth/signup for a new and an already registered one, interleaved (so drift hits both
 * alike), through `inject` (no network noise). Prints the median and p90 of each and their difference.
 * `npx tsx bench/auth-timing.ts [pglite|postgres] [samples]`. The limits' counters are cleared before each request,
 * so the run measures answers rather than 429s (each request still does the limiter's upserts).
 */
import { freshDatabase } from '../test/harness/databases.ts';
import { TEST_PASSWORD, signIn, testApi, uniqueEmail } from '../test/harness/api.ts';

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'pglite';
const SAMPLES = Number(process.argv[3] ?? 300);

const database = await freshDatabase(dialect);
const app = await testApi(database);
const known = await signIn(app, database.db);

async function timed(url: string, payload: Record<string, string>): Promise<number> {
  await database.db.deleteFrom('rate_limit_counters').execute();
  const started = process.hrtime.bigint();
  const response = await app.inject({ method: 'POST', url, payload });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.statusCode !== 202) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return ms;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const cases: Record<string, number[]> = { 'reset, known': [], 'reset, unknown': [], 'sign-up, new': [], 'sign-up, registered': [] };
for (let n = 0; n < SAMPLES; n++) {
  cases['reset, known']!.push(await timed('/auth/password-reset', { email: known.email }));
  cases['reset, unknown']!.push(await timed('/auth/password-reset', { email: uniqueEmail('nobody') }));
  // argon2 dominates a sign-up: a tenth as many samples.
  if (n % 10 === 0) {
    cases['sign-up, new']!.push(await timed('/auth/signup', { email: uniqueEmail('new'), password: TEST_PASSWORD }));
    cases['sign-up, registered']!.push(await timed('/auth/signup', { email: known.email, password: TEST_PASSWORD }));
  }
}

console.log(`\nNode ${process.version}, ${dialect}, ${SAMPLES} reset pairs, ${Math.ceil(SAMPLES / 10)} sign-up pairs\n`);
console.log('| request | samples | p50 ms | p90 ms |\n| --- | ---: | ---: | ---: |');
for (const [name, values] of Object.entries(cases)) {
  console.log(`| ${name} | ${values.length} | ${quantile(values, 0.5).toFixed(2)} | ${quantile(values, 0.9).toFixed(2)} |`);
}
const gap = (a: string, b: string) => (quantile(cases[a]!, 0.5) - quantile(cases[b]!, 0.5)).toFixed(2);
console.log(
  `\nmedian gap: reset known - unknown ${gap('reset, known', 'reset, unknown')} ms; sign-up new - registered ${gap('sign-up, new', 'sign-up, registered')} ms`,
);
await app.close();
await database.close();
