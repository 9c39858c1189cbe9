/**
 * The softphone app (softphone/index.html) as users get it: bundled by Vite and served at `/` by the real API,
 * listening on a loopback port so a browser loads the page and calls the API from one origin (cookies work).
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../api/app.ts';
import { testApi } from './api.ts';
import type { TestDatabase } from './databases.ts';
import { freePort } from './external.ts';
import { bundleWithVite } from './softphone-page.ts';

const APP_ROOT = resolve(import.meta.dirname, '../../softphone');

export interface BuiltSoftphoneApp {
  readonly dir: string;
  remove(): Promise<void>;
}

export async function buildSoftphoneApp(): Promise<BuiltSoftphoneApp> {
  const dir = await bundleWithVite(APP_ROOT);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface ServedSoftphoneApp {
  readonly api: FastifyInstance;
  /** The app's address, e.g. `http://127.0.0.1:21234/` (a secure context for Chromium: getUserMedia works). */
  readonly url: string;
  stop(): Promise<void>;
}

/** The app built and served by a test API on `database` (with `overrides`, e.g. `sip`) listening on 127.0.0.1. */
export async function serveSoftphoneApp(database: TestDatabase, overrides: Partial<ApiDeps> = {}): Promise<ServedSoftphoneApp> {
  const build = await buildSoftphoneApp();
  const api = await testApi(database, { ...overrides, softphoneRoot: build.dir });
  const port = await freePort();
  await api.listen({ host: '127.0.0.1', port });
  return {
    api,
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      await api.close();
      await build.remove();
    },
  };
}
