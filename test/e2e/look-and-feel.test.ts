// The softphone app's look and feel in real Chromium, served by the API with the real call stack: the layout at a
// phone's width (375 px) and a laptop's (1280 px) with no sideways scrolling, the phone's state always in the header,
// controls big enough for fingers and in a sensible focus order, dark mode under prefers-color-scheme with AA
// contrast; keyboard dialling with the country picker's live E.164 formatting, a real call to the number it shows,
// and the recent numbers remembered per account in this browser (and forgotten with the account).
// Screenshots go to test-artifacts/ (gitignored) for a person to look at.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, signIn } from '../harness/api.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { inboundFixtures } from '../harness/inbound-calls.ts';
import { useAppOnCallStack, useAppTabs } from '../harness/softphone-app.ts';

const missing = drachtioProvision.via === 'missing' || chromiumProvision.via === 'missing';
const TEST_MS = 90_000;
const UI_WAIT = { timeout: 15_000, interval: 100 };
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');

/** An sRGB colour as getComputedStyle writes it ("rgb(17, 19, 24)", "rgba(0, 0, 0, 0)"). */
function channels(css: string): number[] {
  const values = css.match(/[\d.]+/g)?.map(Number);
  if (values === undefined || values.length < 3) throw new Error(`not a colour: ${css}`);
  return values;
}

/** WCAG 2 relative luminance. */
function luminance(css: string): number {
  const [r, g, b] = channels(css).map((value) => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG 2 contrast ratio between two colours. */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

// What the tests read in the page, as scripts (this file has Node's types, not the DOM's).

/** The text colour of each selector's element, and the background it is drawn on (the nearest one that is not transparent). */
function colours(page: Page, selectors: readonly string[]): Promise<{ selector: string; text: string; background: string }[]> {
  return page.evaluate(`(${JSON.stringify(selectors)}).map((selector) => {
    const found = document.querySelector(selector);
    let background = 'rgb(255, 255, 255)';
    for (let node = found; node !== null; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(colour)) { background = colour; break; }
    }
    return { selector, text: getComputedStyle(found).color, background };
  })`);
}

/** Which of the page's visible controls stick out of the viewport sideways, or are smaller than a fingertip (44 px). */
const unreachable = (page: Page): Promise<string[]> =>
  page.evaluate(`[...document.querySelectorAll('button, input, select, a[href]')]
    .filter((control) => control.checkVisibility() && !control.classList.contains('skip-link'))
    .map((control) => ({ control, box: control.getBoundingClientRect() }))
    .filter(({ box }) => box.left < 0 || box.right > document.documentElement.clientWidth || box.height < 44)
    .map(({ control, box }) => control.outerHTML.slice(0, 60) + ' ' + Math.round(box.left) + '..' + Math.round(box.right) + ' x' + Math.round(box.height))`);

/** The page's visible controls that have no accessible name (no label, aria-label(ledby) or text). */
const unlabelled = (page: Page): Promise<string[]> =>
  page.evaluate(`[...document.querySelectorAll('button, input, select, a[href], meter, [tabindex="0"]')]
    .filter((control) => control.checkVisibility())
    .filter((control) => !(control.getAttribute('aria-label') || control.getAttribute('aria-labelledby') || control.labels?.length || control.textContent.trim()))
    .map((control) => control.outerHTML.slice(0, 80))`);

/** How far the page scrolls sideways (0: not at all). */
const overflow = (page: Page): Promise<number> => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** The focused control's name: its aria-label, its <label>, or its text. */
const focusedName = (page: Page): Promise<string> =>
  page.evaluate(`(() => {
    const focused = document.activeElement;
    const label = focused.id ? document.querySelector('label[for="' + focused.id + '"]') : null;
    return focused.getAttribute('aria-label') ?? label?.textContent ?? focused.textContent.trim();
  })()`);

/** The focused control's outline. */
const focusRing = (page: Page): Promise<{ style: string; width: number }> =>
  page.evaluate(`(() => {
    const style = getComputedStyle(document.activeElement);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  })()`);

/** The page's record of the tones it was asked to send (see recordTones). */
interface TonePage {
  dialoTones: string[];
  RTCDTMFSender: { prototype: { insertDTMF(tones: string, ...rest: unknown[]): void } };
}

/** Runs in the page before the app: keeps each tone string given to RTCDTMFSender.insertDTMF. */
function recordTones(): void {
  const page = globalThis as unknown as TonePage;
  const native = page.RTCDTMFSender.prototype.insertDTMF;
  page.dialoTones = [];
  page.RTCDTMFSender.prototype.insertDTMF = function (this: unknown, tones: string, ...rest: unknown[]) {
    page.dialoTones.push(tones);
    native.call(this, tones, ...rest);
  };
}

describe.skipIf(missing)('the softphone app: layout, dark mode, keyboard dialling, country picker, recent numbers', () => {
  const suite = useCallStack({});
  const { did } = inboundFixtures(() => suite.database);
  const app = useAppOnCallStack(suite);
  const tabs = useAppTabs();
  beforeAll(() => mkdir(ARTIFACTS, { recursive: true }));
  let numbers = 0;

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  async function signInOnScreen(page: Page, email: string): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
  }

  /** A verified user with a US number, signed in on `page` (or a tab of its own). */
  async function userOnScreen(page?: Page) {
    const user = await signIn(app().api, suite.database.db);
    const number = `+1415555019${numbers++}`;
    await did(number, user.accountId);
    const tab = page ?? (await tabs.open(app().url));
    await signInOnScreen(tab, user.email);
    return { ...user, number, page: tab };
  }

  /** The page reloaded, the accessible names of the first `count` stops of the Tab key from the top. */
  async function tabOrder(page: Page, count: number): Promise<string[]> {
    // As it is opened: Tab starts from the top.
    await page.reload();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      await page.keyboard.press('Tab');
      names.push(await focusedName(page));
    }
    return names;
  }

  /** `selector`'s text and whether it lies wholly inside the viewport as the page is scrolled now. */
  const onScreen = (page: Page, selector: string) =>
    page.locator(selector).evaluate((element) => {
      const { top, bottom } = element.getBoundingClientRect();
      return { text: element.textContent, top, inside: top >= 0 && bottom <= element.ownerDocument.documentElement.clientHeight };
    });

  for (const width of [375, 1280]) {
    it(`at ${width} px: no sideways scroll, the phone's state in the header, every control reachable and finger-sized`, { timeout: TEST_MS }, async () => {
      const page = await tabs.open(app().url);
      await page.setViewportSize({ width, height: width < 600 ? 812 : 800 });
      // The first screen a new user sees.
      await page.getByLabel('E-mail').waitFor();
      expect(await overflow(page)).toBe(0);
      expect(await unreachable(page)).toEqual([]);
      expect(await page.getByRole('banner').getByRole('status').textContent()).toBe('Offline');
      await page.screenshot({ path: `${ARTIFACTS}/sign-in-${width}-light.png`, fullPage: true });
      await userOnScreen(page);
      await expect.poll(text(page, '#balance'), UI_WAIT).toMatch(/^\d+\.\d{2,6} [A-Z]{3}$/);
      await expect.poll(() => page.locator('#history-empty').textContent(), UI_WAIT).not.toBe('');

      expect(await overflow(page)).toBe(0);
      // The state is in words in the header, at the top of the screen, whatever the page shows below it.
      const badge = page.getByRole('banner').getByRole('status');
      expect(await badge.textContent()).toBe('Registered');
      const box = await badge.boundingBox();
      expect(box!.y + box!.height).toBeLessThan(120);
      expect(await page.locator('.line-status').getAttribute('data-state')).toBe('registered');
      expect(await unreachable(page)).toEqual([]);
      expect(await unlabelled(page)).toEqual([]);
      expect(await page.getByRole('banner').getByRole('button', { name: 'Top up' }).isVisible()).toBe(true);

      // Scrolled down to the history (below the dialer on a phone), the state is still on screen: the header stays.
      await page.locator('.history table').scrollIntoViewIfNeeded();
      if (width < 600) expect(await page.evaluate<number>('scrollY')).toBeGreaterThan(0);
      const inView = await onScreen(page, '#registration-status');
      expect(inView).toEqual({ text: 'Registered', top: expect.any(Number), inside: true });
      await page.evaluate('scrollTo(0, 0)');

      // Tab goes header first (skip link, credit, navigation), then the dialer in reading order.
      const order = await tabOrder(page, 12);
      expect(order.slice(0, 5)).toEqual(['Skip to content', 'Top up', 'Phone', 'Privacy', 'Sign out']);
      expect(order.slice(5, 9)).toEqual(['Country', 'Number to call', '1', '2']);
      // The focused control shows a ring.
      const ring = await focusRing(page);
      expect(ring.style).toBe('solid');
      expect(ring.width).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: `${ARTIFACTS}/phone-${width}-light.png`, fullPage: true });

      // The privacy page, with its wide table, scrolls no more sideways than the phone page.
      await page.getByRole('link', { name: 'Privacy' }).click();
      await page.getByRole('table', { name: 'What we hold about you, and when it is de-identified or deleted' }).waitFor();
      expect(await overflow(page)).toBe(0);
      expect(await badge.isVisible()).toBe(true);
      await page.screenshot({ path: `${ARTIFACTS}/privacy-${width}-light.png`, fullPage: true });

      // Dark mode follows the system setting, and text stays readable (WCAG AA, 4.5:1) in both.
      await page.getByRole('link', { name: 'Phone' }).click();
      const checked = ['body', '#registration-status', '#balance', '.own-number', '#dial-number', '#dial', '.hint', '#dial-keypad button', 'nav a'];
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const background = await page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
        if (scheme === 'dark') expect(luminance(background)).toBeLessThan(0.05);
        else expect(luminance(background)).toBeGreaterThan(0.8);
        for (const pair of await colours(page, checked)) {
          expect({ ...pair, scheme, enough: contrast(pair.text, pair.background) >= 4.5 }).toMatchObject({ enough: true });
        }
      }
      await page.screenshot({ path: `${ARTIFACTS}/phone-${width}-dark.png`, fullPage: true });
    });
  }

  it(
    'keyboard dialling with the country picker: a national number is formatted as typed and its E.164 is what is called; the number then shows as recent',
    { timeout: TEST_MS },
    async () => {
      // Alice's tab records the tones its calls are asked to send (RTCDTMFSender.insertDTMF, RFC 4733 in the media).
      const aliceTab = await tabs.open(app().url, async (context) => void (await context.addInitScript(recordTones)));
      const [alice, bob] = [await userOnScreen(aliceTab), await userOnScreen()];
      const page = alice.page;
      // On a phone-sized screen, with a keyboard (a tablet's, say).
      await page.setViewportSize({ width: 375, height: 812 });
      const number = page.getByLabel('Number to call');
      const dialled = page.locator('#dial-e164');

      // A UK number typed the way people in the UK write it.
      await page.getByLabel('Country', { exact: true }).selectOption('GB');
      await page.locator('body').click({ position: { x: 1, y: 300 } });
      await page.keyboard.type('02079460958');
      expect(await number.inputValue()).toBe('020 7946 0958');
      expect(await dialled.textContent()).toBe('Dials +442079460958');
      // Backspace takes digits off the end; a number typed with + is international whatever the country.
      for (let i = 0; i < 11; i++) await page.keyboard.press('Backspace');
      expect(await number.inputValue()).toBe('');
      await page.keyboard.type('+33142685300');
      expect(await number.inputValue()).toBe('+33 1 42 68 53 00');
      expect(await dialled.textContent()).toBe('Dials +33142685300');
      await number.fill('');

      // Bob's US number, typed nationally with the United States chosen; Enter calls it.
      await page.getByLabel('Country', { exact: true }).selectOption('US');
      await page.locator('body').click({ position: { x: 1, y: 300 } });
      await page.keyboard.type(bob.number.slice(2));
      expect(await number.inputValue()).toBe(`(${bob.number.slice(2, 5)}) ${bob.number.slice(5, 8)}-${bob.number.slice(8)}`);
      expect(await dialled.textContent()).toBe(`Dials ${bob.number}`);
      await page.screenshot({ path: `${ARTIFACTS}/dial-typed.png` });
      await page.keyboard.press('Enter');
      await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
      expect(await page.locator('#call-party').textContent()).toBe(`To ${bob.number}`);
      // The focus moves with the screen: from the dialer to the call, and back after it.
      const focusedId = () => page.evaluate<string>('document.activeElement.id');
      expect(await focusedId()).toBe('call-party');
      await bob.page.getByRole('button', { name: 'Answer' }).click();
      await expect.poll(text(page, '#call-state'), UI_WAIT).toBe('Connected');
      // During the call, keys are tones.
      await page.keyboard.type('1#');
      expect(await page.evaluate(() => (globalThis as unknown as TonePage).dialoTones)).toEqual(['1', '#']);
      await page.screenshot({ path: `${ARTIFACTS}/call-375.png`, fullPage: true });
      await page.getByRole('button', { name: 'Hang up' }).click();
      await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
      expect(await focusedId()).toBe('dial-heading');

      // Back on the dialer, the number is among the recent ones; one click calls it again.
      const recent = page.getByRole('list').getByRole('button', { name: 'Call +14155550' });
      await expect.poll(() => recent.count(), UI_WAIT).toBe(1);
      expect(await recent.textContent()).toBe(`+1 ${bob.number.slice(2, 5)} ${bob.number.slice(5, 8)} ${bob.number.slice(8)}`);
      await recent.click();
      await expect.poll(text(bob.page, '#call-state'), UI_WAIT).toBe('Incoming call');
      await bob.page.getByRole('button', { name: 'Decline' }).click();
      await expect.poll(text(page, '#call-outcome'), UI_WAIT).toBe('Call failed: 603 Decline');
      await page.screenshot({ path: `${ARTIFACTS}/recent-numbers.png`, fullPage: true });

      // Someone else signing in on this browser does not see them; they come back for their owner.
      const storedKeys = () => page.evaluate<string[]>(`Object.keys(localStorage).filter((key) => key.startsWith('dialo.recent-numbers'))`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('E-mail').waitFor();
      expect(await focusedId()).toBe('auth-heading');
      const carol = await userOnScreen(page);
      expect(await focusedId()).toBe('dial-heading');
      expect(await page.locator('#recent').isVisible()).toBe(false);
      expect(await page.locator('#recent-suggestions option').count()).toBe(0);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInOnScreen(page, alice.email);
      await expect.poll(() => recent.count(), UI_WAIT).toBe(1);
      expect(await storedKeys()).toEqual([`dialo.recent-numbers.${alice.accountId}`]);
      expect(carol.accountId).not.toBe(alice.accountId);

      // Clear forgets them; deleting the account forgets them too.
      await page.getByRole('button', { name: 'Clear recent numbers' }).click();
      expect(await page.locator('#recent').isVisible()).toBe(false);
      expect(await storedKeys()).toEqual([]);
      await page.getByLabel('Number to call').fill(bob.number);
      await page.getByRole('button', { name: 'Call', exact: true }).click();
      await bob.page.getByRole('button', { name: 'Decline' }).click();
      await expect.poll(storedKeys, UI_WAIT).toEqual([`dialo.recent-numbers.${alice.accountId}`]);
      await page.getByRole('link', { name: 'Privacy' }).click();
      await page.getByLabel('Your password, to confirm').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await expect.poll(text(page, '#privacy-message'), UI_WAIT).toBe('Your account is deleted.');
      expect(await storedKeys()).toEqual([]);
    },
  );
});
