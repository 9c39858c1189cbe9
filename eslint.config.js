// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/*
 * The dependency rules of docs/architecture.md ("Folders and what they may depend on"), checked here.
 * test/lint/boundaries.test.ts shows that a forbidden import fails and an allowed one passes.
 */

/** The adapters: each may use core/ and db/, never another adapter. */
const ADAPTERS = ['api', 'signaling', 'media-control', 'softphone', 'jobs', 'local-servers', 'payments'];
/** Libraries that speak a protocol (SIP, HTTP, a payment provider's API): adapters own them, core never sees them. */
const PROTOCOL_LIBRARIES = ['drachtio-srf', 'drachtio-fsmrf', 'fastify', '@fastify/*', 'stripe', 'sip.js'];
/** The composition root and its helpers at the top of the tree. */
const ROOT_FILES = ['main', 'config', 'logger', 'metrics'];

/** A relative import that climbs to the top of the tree and enters one of `folders` (`../../api/app.ts`). */
const intoFolders = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
/** A relative import of one of the top-level files (`../config.ts`). */
const ofRootFiles = (files) => `^(\\.\\./)+(${files.join('|')})\\.ts$`;
/** Both spellings of a package: the package and anything under it. */
const packages = (names) => names.flatMap((name) => (name.endsWith('/*') ? [name] : [name, `${name}/*`]));

/** `import { env } from 'node:process'` is process.env by another name. */
const ENV_IMPORT = ['process', 'node:process'].map((name) => ({
  name,
  importNames: ['env'],
  message: 'only config.ts reads the environment; take a setting as an argument',
}));

/** One `no-restricted-imports` setting (a later one replaces an earlier one, so each folder gets all of its own). */
function restrictedImports(patterns) {
  return ['error', { paths: ENV_IMPORT, patterns }];
}

const otherAdapters = (self) => ({
  regex: intoFolders(ADAPTERS.filter((adapter) => adapter !== self)),
  message: `${self}/ is an adapter: it may import core/ and db/, never another adapter (main.ts joins them through a port in core/)`,
});

/** The stripe SDK lives in payments/ (main.ts builds its client); everyone else uses core's PaymentProvider port. */
const ONLY_PAYMENTS_TALK_TO_STRIPE = {
  group: packages(['stripe']),
  message: 'only payments/ imports stripe: use the PaymentProvider port (core/billing/payment-provider.ts)',
};

const boundaries = [
  {
    files: ['core/**'],
    rules: {
      'no-restricted-imports': restrictedImports([
        {
          regex: intoFolders(ADAPTERS),
          message: 'core/ may import db/ and libraries, never an adapter: define a port in core/ and let the adapter implement it',
        },
        { group: packages(PROTOCOL_LIBRARIES), message: 'core/ imports no protocol library: put it behind a port in core/ that an adapter implements' },
        { regex: ofRootFiles(ROOT_FILES), message: 'core/ may import db/ and libraries only: it gets config, the logger and metrics as arguments' },
        { regex: intoFolders(['cli']), message: 'core/ never imports the command line: cli/ (like main.ts) calls core' },
      ]),
    },
  },
  {
    files: ['db/**'],
    rules: {
      'no-restricted-imports': restrictedImports([
        { regex: intoFolders(['core', ...ADAPTERS]), message: 'db/ imports nothing of ours' },
        { regex: ofRootFiles(ROOT_FILES), message: 'db/ imports nothing of ours (not config.ts: it takes its own small config type)' },
      ]),
    },
  },
  ...ADAPTERS.filter((adapter) => adapter !== 'softphone').map((adapter) => ({
    files: [`${adapter}/**`],
    rules: {
      'no-restricted-imports': restrictedImports(adapter === 'payments' ? [otherAdapters(adapter)] : [otherAdapters(adapter), ONLY_PAYMENTS_TALK_TO_STRIPE]),
    },
  })),
  {
    files: ['softphone/**'],
    rules: {
      'no-restricted-imports': restrictedImports([
        {
          regex: intoFolders(['core', 'db', ...ADAPTERS.filter((adapter) => adapter !== 'softphone')]),
          message: 'the softphone imports no server code (it talks to the api over HTTP, to signaling over WSS)',
        },
        { regex: ofRootFiles(ROOT_FILES), message: 'the softphone imports no server code' },
      ]),
    },
  },
  {
    // Only config.ts reads the environment; everything else receives its settings as arguments.
    files: ['**/*.{js,ts}'],
    ignores: ['config.ts', 'test/**', 'bench/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'only config.ts reads process.env; take a setting as an argument' }],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'softphone/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      'no-restricted-imports': restrictedImports([]),
    },
  },
  ...boundaries,
  {
    // No import cycles (docs/architecture.md): a cycle is two modules that can only be understood together.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  { files: ['test/**', 'bench/**'], rules: { 'no-console': 'off', 'no-restricted-imports': 'off' } },
  {
    // The service worker runs in its own global scope (softphone/public/sw.js, served unbundled).
    files: ['softphone/public/sw.js'],
    languageOptions: { globals: { self: 'readonly', caches: 'readonly', fetch: 'readonly', URL: 'readonly' } },
  },
);
