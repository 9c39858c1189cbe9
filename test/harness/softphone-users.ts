/**
 * Signed-in users with softphone tabs in one real Chromium, for browser suites on a call stack: the API issues each
 * tab's SIP credentials (POST /sip/credentials) and the tab registers over drachtio's WebSocket. Also the waits for
 * audio a browser test asserts on.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import type { PhoneSettings } from '../../softphone/test-page/page-api.ts';
import { signIn, testApi } from './api.ts';
import type { CallStack } from './call-stack.ts';
import { launchChromium } from './chromium.ts';
import { inboundFixtures } from './inbound-calls.ts';
import { serveSoftphonePage, type SoftphonePage } from './softphone-page.ts';
import { openSoftphoneTab, type SoftphoneTab } from './softphone-tab.ts';

export interface SoftphoneUser {
  readonly accountId: string;
  /** The user's own number (a DID), its caller ID. */
  readonly number: string;
  settings(): Promise<PhoneSettings>;
  openTab(): Promise<SoftphoneTab>;
}

export interface SoftphoneUsers {
  /** A signed-in user owning a fresh number `+1415555017N`. */
  userWithNumber(): Promise<SoftphoneUser>;
  /** A tab started with these settings (a wrong password, say): rejects with the registrar's refusal. */
  openTab(settings: PhoneSettings): Promise<SoftphoneTab>;
}

/** Call inside a describe block after useCallStack: Chromium, the test page and an API start in beforeAll. */
export function useSoftphoneUsers(suite: CallStack): SoftphoneUsers {
  const { did } = inboundFixtures(() => suite.database);
  let api: FastifyInstance;
  let browser: Browser;
  let page: SoftphonePage;
  let numbers = 0;

  beforeAll(async () => {
    api = await testApi(suite.database, { sip: suite.stack.config.sip });
    page = await serveSoftphonePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await page?.stop();
    await api?.close();
  });

  return {
    async userWithNumber() {
      const user = await signIn(api, suite.database.db);
      const number = `+1415555017${numbers++}`;
      await did(number, user.accountId);
      const settings = async (): Promise<PhoneSettings> => {
        const response = await api.inject({ method: 'POST', url: '/sip/credentials', headers: user.headers });
        expect(response.statusCode, response.body).toBe(200);
        const { username, password, realm, iceServers } = response.json<Omit<PhoneSettings, 'webSocketUrl'>>();
        return { username, password, realm, iceServers, webSocketUrl: `ws://127.0.0.1:${suite.stack.drachtio.wsPort}` };
      };
      return { accountId: user.accountId, number, settings, openTab: async () => openSoftphoneTab(browser, page.url, await settings()) };
    },
    openTab: (settings) => openSoftphoneTab(browser, page.url, settings),
  };
}

/** Waits until the tab's call has received more than `after` audio packets; returns the count. */
export function audioArrives(tab: SoftphoneTab, callId: string, after = 0): Promise<number> {
  return vi.waitFor(
    async () => {
      const { packetsReceived } = await tab.run('inboundAudio', callId);
      if (packetsReceived <= after) throw new Error(`${callId}: ${packetsReceived} audio packets received`);
      return packetsReceived;
    },
    { timeout: 10_000, interval: 200 },
  );
}

/** Waits until the tab has decoded a second of audio (50 packets of 20 ms) that is not silence. */
export function heardSpeech(tab: SoftphoneTab, callId: string) {
  return vi.waitFor(
    async () => {
      const audio = await tab.run('inboundAudio', callId);
      if (audio.packetsReceived < 50 || audio.totalAudioEnergy <= 0) throw new Error(`${callId}: ${JSON.stringify(audio)}`);
      return audio;
    },
    { timeout: 10_000, interval: 200 },
  );
}
