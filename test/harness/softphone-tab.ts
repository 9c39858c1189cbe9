/**
 * A browser tab running the softphone test page, driven through its `window.dialo` API (typed by
 * softphone/test-page/page-api.ts) with `page.evaluate`.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PageApi, PhoneSettings } from '../../softphone/test-page/page-api.ts';

export interface SoftphoneTab {
  readonly page: Page;
  /** Calls `window.dialo[method](...args)` in the page. */
  run<M extends keyof PageApi>(method: M, ...args: Parameters<PageApi[M]>): Promise<Awaited<ReturnType<PageApi[M]>>>;
  /** Stops the phone (unregisters, closes its WebSocket) and closes the tab. */
  close(): Promise<void>;
}

/** A tab in its own browser context (its own cookies and storage: another user), registered with `settings`; throws (tab closed) if refused. */
export async function openSoftphoneTab(browser: Browser, pageUrl: string, settings: PhoneSettings): Promise<SoftphoneTab> {
  const context: BrowserContext = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => 'dialo' in globalThis);
  const run: SoftphoneTab['run'] = (method, ...args) =>
    page.evaluate(
      ([name, values]) => {
        const api = (globalThis as unknown as { dialo: Record<string, (...parameters: unknown[]) => unknown> }).dialo;
        return api[name]!(...values);
      },
      [method, args] as [string, unknown[]],
    ) as never;
  try {
    await run('start', settings);
  } catch (error) {
    await context.close();
    throw error;
  }
  return {
    page,
    run,
    async close() {
      // The phone bounds each goodbye step itself; this bounds a page that no longer answers at all.
      await Promise.race([run('stop').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      await context.close();
      if (pageErrors.length > 0) console.warn(`[softphone tab] page errors: ${pageErrors.join('; ')}`);
    },
  };
}
