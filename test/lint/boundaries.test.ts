/**
 * The dependency rules of docs/architecture.md are checked by eslint (eslint.config.js): linting a line as if it
 * were written in a folder shows the forbidden imports fail and the allowed ones pass.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-properties', 'import-x/no-cycle']);

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

/** The boundary rules' messages for `code` linted as the file `filePath` (relative to the repository). */
async function boundaryErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId !== null && BOUNDARY_RULES.has(message.ruleId)).map((message) => message.message);
}

describe('dependency rules, checked by eslint', { timeout: 60_000 }, () => {
  it.each([
    ['an adapter importing another adapter', 'api/x.ts', "import '../signaling/app.ts';\n", /never another adapter/],
    [
      'an adapter importing another adapter, from a subfolder',
      'api/routes/x.ts',
      "import type { FreeSwitchRelay } from '../../media-control/relay.ts';\nexport type X = FreeSwitchRelay;\n",
      /never another adapter/,
    ],
    ['signaling importing media-control', 'signaling/media/x.ts', "import '../../media-control/media-control.ts';\n", /never another adapter/],
    ['jobs importing the api', 'jobs/x.ts', "export { buildApi } from '../api/app.ts';\n", /never another adapter/],
    ['the payments adapter importing the api', 'payments/x.ts', "import '../api/app.ts';\n", /never another adapter/],
    ['core importing stripe', 'core/x.ts', "import 'stripe';\n", /no protocol library/],
    [
      'an adapter other than payments importing stripe',
      'api/routes/x.ts',
      "import type Stripe from 'stripe';\nexport type X = Stripe;\n",
      /only payments\/ imports stripe/,
    ],
    ['core importing a type from stripe', 'core/billing/x.ts', "import type { Stripe } from 'stripe';\nexport type X = Stripe;\n", /no protocol library/],
    ['core importing drachtio-srf', 'core/calls/x.ts', "import 'drachtio-srf';\n", /no protocol library/],
    ['core importing a fastify plugin', 'core/x.ts', "import '@fastify/cookie';\n", /no protocol library/],
    ['core importing an adapter', 'core/billing/x.ts', "import '../../api/app.ts';\n", /never an adapter/],
    ['core importing config.ts', 'core/x.ts', "import '../config.ts';\n", /core\/ may import db\//],
    ['db importing config.ts', 'db/x.ts', "import '../config.ts';\n", /db\/ imports nothing of ours/],
    ['db importing core', 'db/migrations/x.ts', "import '../../core/money.ts';\n", /db\/ imports nothing of ours/],
    ['the softphone importing server code', 'softphone/src/app/x.ts', "import '../../../core/money.ts';\n", /imports no server code/],
    ['process.env outside config.ts', 'api/x.ts', 'export const x = process.env.X;\n', /only config\.ts reads process\.env/],
    ['process.env destructured', 'signaling/x.ts', 'export const { X } = process.env;\n', /only config\.ts reads process\.env/],
    ['env imported from node:process', 'core/x.ts', "import { env } from 'node:process';\nexport const x = env.X;\n", /only config\.ts reads the environment/],
    // handle-invite.ts imports trunk-call.ts: trunk-call.ts importing it back closes a cycle.
    ['an import cycle', 'signaling/invite/trunk-call.ts', "import './handle-invite.ts';\n", /Dependency cycle/],
    ['an import cycle through several files', 'core/money.ts', "import '../signaling/invite/handle-invite.ts';\n", /Dependency cycle/],
  ])('refuses %s', async (_what, filePath, code, message) => {
    const errors = await boundaryErrors(code, filePath);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    ['an adapter importing core and db', 'api/x.ts', "import '../core/money.ts';\nimport '../db/schema.ts';\nimport 'fastify';\n"],
    ['an adapter importing within itself', 'signaling/invite/x.ts', "import '../media/media-path.ts';\nimport 'drachtio-srf';\n"],
    ['the payments adapter importing core and stripe', 'payments/x.ts', "import '../core/billing/payment-provider.ts';\nimport 'stripe';\n"],
    ['core importing db and libraries', 'core/billing/x.ts', "import '../../db/schema.ts';\nimport 'kysely';\nimport '../money.ts';\n"],
    ['db importing within itself', 'db/migrations/x.ts', "import '../schema.ts';\nimport 'kysely';\n"],
    ['config.ts reading process.env', 'config.ts', 'export const x = process.env.X;\n'],
    ['the composition root importing every adapter', 'main.ts', "import './api/app.ts';\nimport './signaling/app.ts';\nimport './payments/stripe.ts';\n"],
    [
      'a test importing anything and reading the environment',
      'test/x.test.ts',
      "import '../signaling/app.ts';\nimport 'stripe';\nexport const x = process.env.X;\n",
    ],
    ['a bench reading the environment', 'bench/x.ts', 'export const x = process.env.X;\n'],
  ])('allows %s', async (_what, filePath, code) => {
    expect(await boundaryErrors(code, filePath)).toEqual([]);
  });
});
