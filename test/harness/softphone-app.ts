/**
 * The softphone app (softphone/index.html) as users get it: bundled by Vite and served at `/` by the real API,
 * listening on a loopback port so a browser loads the page and calls the API from one origin (cookies work).
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ApiDeps } from '../../api/app.ts';
import { testApi } from './api.ts';
import type { CallStack } from './call-stack.ts';
import type { TestDatabase } from './databases.ts';
import { launchChromium } from './chromium.ts';
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

/**
 * The app served for the enclosing suite on its call stack (its SIP settings, drachtio's WebSocket), once the stack
 * runs; stopped after the suite. Register it before {@link useAppTabs}.
 * @example const app = useAppOnCallStack(suite); // then tabs.open(app().url)
 */
export function useAppOnCallStack(suite: CallStack): () => ServedSoftphoneApp {
  let app: ServedSoftphoneApp | undefined;
  beforeAll(async () => {
    const sip = { ...suite.stack.config.sip!, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` };
    app = await serveSoftphoneApp(suite.database, { sip });
  });
  afterAll(() => app?.stop());
  return () => {
    if (app === undefined) throw new Error('the app is served once the suite starts');
    return app;
  };
}

export interface AppTabs {
  /** A fresh tab (its own cookies: another person) at `url`, its context `prepare`d first (routes, say). */
  open(url: string, prepare?: (context: BrowserContext) => Promise<void>): Promise<Page>;
}

/**
 * Chromium for the enclosing suite: launched before it, its tabs and itself closed after it. An uncaught error in a
 * tab, or a Content-Security-Policy refusal (otherwise only a console message), fails the test that caused it.
 * Register it after the suite's own hooks, so the tabs close before the servers they talk to stop. `chromiumOptions`:
 * see launchChromium (a browser that refuses the microphone, say).
 */
export function useAppTabs(chromiumOptions?: Parameters<typeof launchChromium>[0]): AppTabs {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium(chromiumOptions);
  });
  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
  });
  return {
    async open(url, prepare) {
      if (browser === undefined) throw new Error('Chromium not launched: open tabs inside a test');
      const context = await browser.newContext();
      contexts.push(context);
      await prepare?.(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/.test(message.text())) pageErrors.push(message.text());
      });
      await page.goto(url);
      return page;
    },
  };
}

/** Signs `email` in through the app's form on `page` and waits for the header to say Registered. */
export async function signInOnScreen(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.locator('#registration-status').textContent(), { timeout: 15_000, interval: 100 }).toBe('Registered');
}
