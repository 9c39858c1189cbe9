// A newcomer's path, end to end: `npm start` on a fresh data folder with no DRACHTIO_* and no SMTP_URL (so the process
// starts its own drachtio-server, FreeSWITCH and TURN server, and mail goes to its log), then real Chromium through the
// app's screens only: sign up, follow the link the log shows, sign in, call the echo test and hear one's own
// microphone come back. Then the operator's path on the same embedded database: stop (nothing left running), make the
// first user an operator with `dialo accounts make-operator`, start again, give both users numbers, and they call each other.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../harness/api.ts';
import { runDialo } from '../harness/app-process.ts';
import { chromiumProvision } from '../harness/chromium.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freePort } from '../harness/external.ts';
import { freeswitchProvision } from '../harness/freeswitch.ts';
import { npmStart, type NpmStart } from '../harness/npm-start.ts';
import { recordPeerConnections, type PeerConnectionPage } from '../harness/peer-connections.ts';
import { useAppTabs } from '../harness/softphone-app.ts';
import { alive } from '../harness/processes.ts';

const missing = [drachtioProvision, freeswitchProvision, chromiumProvision].some((provision) => provision.via === 'missing');
const TEST_MS = 240_000;
const UI_WAIT = { timeout: 20_000, interval: 100 };

/** Inbound audio of the page's calls, read from every RTCPeerConnection the app made (recorded by an init script). */
interface InboundAudio {
  readonly packetsReceived: number;
  readonly totalAudioEnergy: number;
}

async function inboundAudio(page: Page): Promise<InboundAudio> {
  return page.evaluate(async () => {
    const last = (globalThis as unknown as PeerConnectionPage).dialoPeerConnections.at(-1);
    let packetsReceived = 0;
    let totalAudioEnergy = 0;
    if (last !== undefined) {
      (await last.getStats()).forEach((report) => {
        if (report.type !== 'inbound-rtp' || report.kind !== 'audio') return;
        packetsReceived += report.packetsReceived ?? 0;
        totalAudioEnergy += report.totalAudioEnergy ?? 0;
      });
    }
    return { packetsReceived, totalAudioEnergy };
  });
}

/** Waits until the page has decoded a second of audio (50 packets of 20 ms) that is not silence. */
async function hearsAudio(page: Page): Promise<InboundAudio> {
  let audio: InboundAudio = { packetsReceived: 0, totalAudioEnergy: 0 };
  await expect
    .poll(async () => {
      audio = await inboundAudio(page);
      return audio.packetsReceived >= 50 && audio.totalAudioEnergy > 0;
    }, UI_WAIT)
    .toBe(true);
  return audio;
}

describe.skipIf(missing)('a newcomer: npm start on a fresh folder, then a first call in Chromium', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const users = { alice: uniqueEmail('newcomer-alice'), bob: uniqueEmail('newcomer-bob') };
  let running: NpmStart | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dialo-newcomer-'));
    const http = await freePort();
    // Each test worker's own media ports (test/harness/freeswitch.ts and turn.ts use 30000-32760 for theirs).
    const block = Number(process.env.VITEST_POOL_ID ?? process.pid) % 4;
    const rtp = 17_000 + block * 500;
    env = {
      DIALO_DATA_DIR: dataDir,
      HTTP_PORT: String(http),
      PUBLIC_URL: `http://127.0.0.1:${http}`,
      LOCAL_SIP_PORT: String(await freePort()),
      LOCAL_SIP_WS_PORT: String(await freePort()),
      LOCAL_DRACHTIO_ADMIN_PORT: String(await freePort()),
      LOCAL_MEDIA_SIP_PORT: String(await freePort()),
      LOCAL_MEDIA_ESL_PORT: String(await freePort()),
      LOCAL_RTP_PORTS: `${rtp}-${rtp + 199}`,
      LOCAL_TURN_PORT: String(await freePort()),
      LOCAL_TURN_RELAY_PORTS: `${rtp + 200}-${rtp + 299}`,
    };
  });
  afterAll(async () => {
    running?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  // After the suite's own hooks: the tabs close before the app they talk to stops; a page error fails the test.
  const tabs = useAppTabs();
  const openApp = (url: string): Promise<Page> =>
    tabs.open(url, async (context) => {
      await context.addInitScript(recordPeerConnections);
    });

  const text = (page: Page, selector: string) => () => page.locator(selector).textContent();

  /** The link in the mail to `email` that the process wrote to its log (no SMTP_URL). */
  function mailedLink(app: NpmStart, email: string, path: string): string | undefined {
    for (const line of app.output().split('\n')) {
      if (!line.includes('mail not sent')) continue;
      let entry: { to?: string; links?: string[] };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      const link = entry.to === email ? entry.links?.find((candidate) => new URL(candidate).pathname === path) : undefined;
      if (link !== undefined) return link;
    }
    return undefined;
  }

  async function signUpOnScreen(app: NpmStart, url: string, email: string): Promise<Page> {
    const page = await openApp(url);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Without a mail server the app says where the link is: the log of the terminal running Dialo.
    await expect.poll(text(page, '#auth-message'), UI_WAIT).toMatch(/log/);
    let link: string | undefined;
    await expect.poll(() => (link = mailedLink(app, email, '/verify-email')), UI_WAIT).toBeDefined();
    await page.goto(link!);
    await expect.poll(text(page, '#auth-message'), UI_WAIT).toBe('Address confirmed: sign in.');
    return page;
  }

  async function signInOnScreen(page: Page, email: string): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(text(page, '#registration-status'), UI_WAIT).toBe('Registered');
  }

  /** What the signed-in user's API says (the page's own session). */
  const apiGet = <T>(page: Page, path: string) =>
    page.evaluate(async (target) => {
      const response = await fetch(target);
      return { status: response.status, body: (await response.json()) as unknown };
    }, path) as Promise<{ status: number; body: T }>;

  async function hangUp(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(text(page, '#call-outcome'), UI_WAIT).toMatch(/^Call ended/);
  }

  /**
   * Ctrl-C in the terminal (SIGINT to the process group) or SIGTERM to npm: npm ends, and so does every process it
   * started (drachtio, FreeSWITCH, TURN, the app), after a graceful shutdown.
   */
  async function stopLeavingNothing(app: NpmStart, how: 'ctrl-c' | 'sigterm'): Promise<void> {
    const tree = await app.descendants();
    const names = [...tree.values()];
    expect(names).toEqual(expect.arrayContaining(['drachtio', 'freeswitch', 'turnserver']));
    // npm passes the signal on and ends itself by it, without waiting for the app under it.
    expect([0, 'SIGTERM', 'SIGINT']).toContain(how === 'ctrl-c' ? await app.interrupt() : await app.stop());
    running = undefined;
    await expect
      .poll(async () => {
        const left: string[] = [];
        for (const [pid, name] of tree) if (await alive(pid)) left.push(`${name} (${pid})`);
        return left;
      }, UI_WAIT)
      .toEqual([]);
    // The app shut down cleanly (roles, database, then its servers) and said so last: one Ctrl-C reaches it twice (from
    // the terminal and from npm), and that is not the "second Ctrl-C" that exits without waiting.
    expect(app.output()).toMatch(/"msg":"stopped"/);
    expect(app.output()).not.toMatch(/exiting without waiting/);
  }

  it(
    "signs up from the log's link, registers, hears its own voice from the echo test, free; then two users call each other",
    { timeout: TEST_MS },
    async () => {
      const started = Date.now();
      const first = (running = npmStart(env));
      const url = await first.url;
      const listeningAfter = Date.now() - started;
      // One summary says what runs.
      await expect.poll(() => first.output(), UI_WAIT).toMatch(/drachtio-server/);
      expect(first.output()).toMatch(/FreeSWITCH/);

      const alice = await signUpOnScreen(first, url, users.alice);
      await signInOnScreen(alice, users.alice);
      const registeredAfter = Date.now() - started;
      const balanceBefore = await apiGet<{ balance: string }>(alice, '/billing/balance');
      expect(balanceBefore.status).toBe(200);

      await alice.getByRole('button', { name: 'Echo test' }).click();
      await expect.poll(text(alice, '#call-state'), UI_WAIT).toBe('Connected');
      expect(await alice.locator('#call-party').textContent()).toMatch(/Echo test/);
      const heard = await hearsAudio(alice);
      const echoAfter = Date.now() - started;
      console.log(
        `[measure] npm start -> listening ${listeningAfter} ms (the app's build included); -> registered ${registeredAfter} ms (after signing up on screen); -> first echo audio ${echoAfter} ms (${heard.packetsReceived} packets, energy ${heard.totalAudioEnergy.toFixed(3)})`,
      );
      await hangUp(alice);

      // The call has a record, shown as the echo test, and nothing was charged.
      const lastCall = async () =>
        (await apiGet<{ calls: { outcome: string; cost: string | null; billableSeconds: number | null }[] }>(alice, '/calls')).body.calls[0];
      await expect.poll(async () => (await lastCall())?.outcome, UI_WAIT).toBe('ended');
      const echoCall = await lastCall();
      expect(Number(echoCall!.cost)).toBe(0);
      expect((await apiGet<{ balance: string }>(alice, '/billing/balance')).body).toEqual(balanceBefore.body);
      await expect.poll(() => alice.locator('#history-rows tr').first().textContent(), UI_WAIT).toMatch(/Echo test/);

      const bob = await signUpOnScreen(first, url, users.bob);
      await stopLeavingNothing(first, 'ctrl-c');

      // The operator's path on the embedded database: the command runs while the app is stopped.
      const promoted = await runDialo(['accounts', 'make-operator', users.alice], { DIALO_DATA_DIR: dataDir });
      expect(promoted.code, promoted.stderr).toBe(0);

      const second = (running = npmStart(env));
      expect(await second.url).toBe(url);
      // Sessions live in the database: both tabs are still signed in once the page loads again, and register.
      await alice.goto(url);
      await expect.poll(text(alice, '#registration-status'), UI_WAIT).toBe('Registered');
      await signInOnScreen(bob, users.bob);
      const me = async (page: Page) => (await apiGet<{ id: string }>(page, '/auth/me')).body.id;
      const numbers = { alice: '+14155550161', bob: '+14155550162' };
      for (const [page, number] of [
        [alice, numbers.alice],
        [bob, numbers.bob],
      ] as const) {
        const accountId = await me(page);
        const added = await alice.evaluate(
          async ({ e164, accountId: owner }) => {
            const cookies = (globalThis as unknown as { document: { cookie: string } }).document.cookie;
            const csrf = /(?:^|; )dialo_csrf=([^;]+)/.exec(cookies)?.[1] ?? '';
            const response = await fetch('/admin/dids', {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf) },
              body: JSON.stringify({ e164, accountId: owner }),
            });
            return response.status;
          },
          { e164: number, accountId },
        );
        expect(added).toBe(201);
      }
      await bob.reload();
      await expect.poll(text(bob, '#registration-status'), UI_WAIT).toBe('Registered');
      await expect.poll(text(bob, '#own-number'), UI_WAIT).toBe(numbers.bob);

      await alice.getByLabel('Number to call').fill(numbers.bob);
      await alice.getByRole('button', { name: 'Call', exact: true }).click();
      await expect.poll(text(bob, '#call-state'), UI_WAIT).toBe('Incoming call');
      await bob.getByRole('button', { name: 'Answer' }).click();
      await expect.poll(text(alice, '#call-state'), UI_WAIT).toBe('Connected');
      await hearsAudio(alice);
      await hearsAudio(bob);
      await hangUp(alice);
      await expect.poll(() => alice.locator('#history-rows tr').first().textContent(), UI_WAIT).toMatch(/Dialo to Dialo/);
      await stopLeavingNothing(second, 'sigterm');
    },
  );
});
