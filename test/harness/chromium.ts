/**
 * Debian's Chromium driven by playwright-core, set up for WebRTC tests: fake microphone (a tone) with no permission
 * prompt, and loopback ICE candidates (without them two tabs on one machine gather none). Suites that need it skip
 * with one line when it is not installed (fail under CI=true).
 */
import { access, constants } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { missingServer, type Provision } from './external.ts';

const CHROMIUM = '/usr/bin/chromium';

export const chromiumProvision: Provision = await access(CHROMIUM, constants.X_OK).then(
  (): Provision => ({ via: 'path', binary: CHROMIUM }),
  (): Provision => ({ via: 'missing', reason: `chromium not available: no executable ${CHROMIUM}` }),
);
if (chromiumProvision.via === 'missing') missingServer('browser suites', chromiumProvision.reason);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * A browser with a fresh profile (playwright gives each launch its own temporary user-data-dir). With `mediaPrompt`
 * `refused`, no fake UI answers the microphone prompt: a context's own permissions decide, and without a grant
 * getUserMedia fails with NotAllowedError (the fake UI grants even what `grantPermissions` left out).
 */
export async function launchChromium({ mediaPrompt = 'accepted' }: { mediaPrompt?: 'accepted' | 'refused' } = {}): Promise<Browser> {
  if (chromiumProvision.via !== 'path') throw new Error(chromiumProvision.via === 'missing' ? chromiumProvision.reason : 'chromium runs from PATH only');
  const args = mediaPrompt === 'accepted' ? ARGS : ARGS.filter((arg) => arg !== '--use-fake-ui-for-media-stream');
  return chromium.launch({ executablePath: chromiumProvision.binary, headless: true, args });
}

/**
 * A browser on a profile kept in `userDataDir`, as a person's own browser is (not an incognito-like context, where
 * Chromium never offers to install an app): for installability checks.
 */
export async function launchChromiumProfile(userDataDir: string): Promise<BrowserContext> {
  if (chromiumProvision.via !== 'path') throw new Error(chromiumProvision.via === 'missing' ? chromiumProvision.reason : 'chromium runs from PATH only');
  return chromium.launchPersistentContext(userDataDir, { executablePath: chromiumProvision.binary, headless: true, args: ARGS });
}
