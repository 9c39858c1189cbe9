/**
 * Fixtures for call suites on a running signaling stack: callers with SIP phone credentials and credit,
 * carriers (a sipp UAS behind a trunk row), and the call records the app writes.
 */
import { vi } from 'vitest';
import { setStaticSipCredential } from '../../core/accounts/sip-credentials.ts';
import { openCallRecords } from '../../core/calls/history.ts';
import { TEST_VAULT } from './api.ts';
import type { TestDatabase } from './databases.ts';
import { createAccount, credit } from './billing.ts';
import { freeUdpPort } from './external.ts';
import { derivedScenario, startSipp, type SippRun } from './sipp.ts';

/**
 * Abuse limits opened wide and pattern detection off, for suites and benches about something else that place many
 * calls from new accounts quickly (the rules still run, so their cost is measured).
 */
export const OPEN_ABUSE_LIMITS = {
  ABUSE_CALLS_PER_MINUTE: '10000',
  ABUSE_DAILY_SPEND_CAP: '1000000',
  ABUSE_NEW_ACCOUNT_MAX_CONCURRENT_CALLS: '1000',
  ABUSE_NEW_ACCOUNT_CALLS_PER_MINUTE: '10000',
  ABUSE_NEW_ACCOUNT_DAILY_SPEND_CAP: '1000000',
  ABUSE_BURST_DESTINATIONS: '0',
  ABUSE_SPIKE_FACTOR: '0',
} as const;

/** Micro-units per currency unit (core/money.ts). */
export const UNIT = 1_000_000;

export interface CallFixtures {
  /** A caller with a SIP phone credential and `balance` micros of credit; `fields` is its sipp injection row. */
  caller(username: string, balance: number): Promise<{ accountId: string; fields(dialled: string, talkMs?: number): string }>;
  /**
   * A carrier running `scenario` on a free UDP port for `calls` calls (default 1), and a trunk pointing at it.
   * Its `<log>` actions are kept (`SippRun.trace`).
   */
  carrier(
    name: string,
    scenario: string,
    options?: { priority?: number; auth?: { username: string; password: string }; timeoutSeconds?: number; calls?: number; extraArgs?: readonly string[] },
  ): Promise<{ trunkId: number; port: number; done: Promise<SippRun>; stop(): void }>;
  lastCdr(accountId: string): ReturnType<typeof lastCdrOf>;
  /** The call's record once the app has finished with it (it settles after the last BYE is answered). */
  finishedCdr(accountId: string): ReturnType<typeof lastCdrOf>;
}

/** The account's latest record, its numbers opened (they are stored sealed: test/core/calls/cdr-sealing.test.ts). */
async function lastCdrOf(database: TestDatabase, accountId: string) {
  const row = await database.db.selectFrom('cdrs').selectAll().where('account_id', '=', accountId).orderBy('started_at', 'desc').executeTakeFirstOrThrow();
  const [opened] = await openCallRecords(database.db, TEST_VAULT, [row]);
  return opened!;
}

/**
 * `refresh`: brings the signaling node's caches up to date after a trunk is added here (a node sees it within a poll,
 * CACHE_POLL_MS; an in-process stack can be told at once: {@link refreshOf}).
 */
export function callFixtures(database: () => TestDatabase, refresh: () => Promise<void>, realm = 'dialo.test'): CallFixtures {
  return {
    async caller(username, balance) {
      const { db } = database();
      const accountId = await createAccount(db);
      await setStaticSipCredential(db, { accountId, username, realm, password: `${username}-secret` });
      if (balance > 0) await credit(db, accountId, balance);
      return {
        accountId,
        fields: (dialled, talkMs = 0) => `${username};[authentication username=${username} password=${username}-secret];${dialled};${talkMs}`,
      };
    },
    async carrier(name, scenario, options = {}) {
      const port = await freeUdpPort();
      const peer = await startSipp({
        scenario,
        target: '',
        listenPort: port,
        calls: options.calls,
        timeoutSeconds: options.timeoutSeconds ?? 20,
        extraArgs: ['-trace_logs', ...(options.extraArgs ?? [])],
      });
      const trunk = await database()
        .db.insertInto('trunks')
        .values({
          name,
          priority: options.priority ?? 1,
          outbound_uri: `sip:127.0.0.1:${port}`,
          auth_username: options.auth?.username ?? null,
          auth_password: options.auth?.password ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await refresh();
      return { trunkId: trunk.id, port, done: peer.done, stop: peer.stop };
    },
    lastCdr: (accountId) => lastCdrOf(database(), accountId),
    finishedCdr: (accountId) => onceClosed(() => lastCdrOf(database(), accountId)),
  };
}

/** The refresh of an in-process signaling stack, for {@link callFixtures}. */
export const refreshOf = (stack: () => { readonly signaling: { refreshCaches(): Promise<void> } } | undefined) => () =>
  stack()?.signaling.refreshCaches() ?? Promise.resolve();

/** Waits until the record `read` returns is closed (the app writes the end after the last BYE is answered). */
export function onceClosed<Cdr extends { ended_at: Date | null }>(read: () => Promise<Cdr>): Promise<Cdr> {
  return vi.waitFor(
    async () => {
      const cdr = await read();
      if (cdr.ended_at === null) throw new Error('call not closed yet');
      return cdr;
    },
    { timeout: 5000 },
  );
}

/** Waits until the account's call is answered; its record then. */
export function onceAnswered(database: TestDatabase, accountId: string) {
  return vi.waitFor(
    async () => {
      const cdr = await database.db.selectFrom('cdrs').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      if (cdr?.phase !== 'answered') throw new Error('call not answered yet');
      return cdr;
    },
    { timeout: 10_000 },
  );
}

/** Resolves with the call's record once it is ended and charged (its hold settled). */
export function onceEndedAndCharged(database: TestDatabase, cdrId: string) {
  return vi.waitFor(
    async () => {
      const cdr = await database.db.selectFrom('cdrs').selectAll().where('id', '=', cdrId).executeTakeFirstOrThrow();
      if (cdr.phase !== 'ended' || cdr.cost === null) throw new Error('call not closed yet');
      return cdr;
    },
    { timeout: 15_000 },
  );
}

/** Resolves once a heartbeat has marked the answered call alive after its answer. */
export function onceMarkedAlive(database: TestDatabase, cdrId: string) {
  return vi.waitFor(
    async () => {
      const cdr = await database.db.selectFrom('cdrs').select(['alive_at', 'answered_at']).where('id', '=', cdrId).executeTakeFirstOrThrow();
      if (cdr.alive_at === null || cdr.answered_at === null || cdr.alive_at.getTime() <= cdr.answered_at.getTime()) throw new Error('no heartbeat yet');
    },
    { timeout: 10_000 },
  );
}

/** What the carrier must see: regexes over the whole INVITE. */
export interface SeenDialString {
  readonly ruri: string;
  readonly to: string;
  readonly from: string;
  readonly pai?: string;
  readonly privacy?: string;
  readonly codecs?: string;
  /** Must not match. */
  readonly absent?: string;
}

const xmlEscaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The carrier scenario (uas-answer-expect-dial-string.xml) checking `seen` (sipp takes no -key values in a regexp: the regexes are written in). */
export function expectingDialString(seen: SeenDialString): Promise<string> {
  const regexes: Record<string, string> = { pai: '.', privacy: '.', codecs: '.', absent: 'NO-SUCH-TEXT-IN-THIS-INVITE', ...seen };
  return derivedScenario('uas-answer-expect-dial-string.xml', (xml) =>
    xml.replace(/regexp="\[(\w+)\]"/g, (_, name: string) => `regexp="${xmlEscaped(regexes[name] ?? '')}"`),
  );
}
