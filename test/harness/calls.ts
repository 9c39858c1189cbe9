/**
 * Fixtures for call suites on a running signaling stack: callers with SIP phone credentials and credit,
 * carriers (a sipp UAS behind a trunk row), and the call records the app writes.
 */
import { vi } from 'vitest';
import { setStaticSipCredential } from '../../core/accounts/sip-credentials.ts';
import type { TestDatabase } from './databases.ts';
import { createAccount, credit } from './billing.ts';
import { freeUdpPort } from './external.ts';
import { startSipp, type SippRun } from './sipp.ts';

/** Micro-units per currency unit (core/money.ts). */
export const UNIT = 1_000_000;

export interface CallFixtures {
  /** A caller with a SIP phone credential and `balance` micros of credit; `fields` is its sipp injection row. */
  caller(username: string, balance: number): Promise<{ accountId: string; fields(dialled: string, talkMs?: number): string }>;
  /** A carrier running `scenario` (for `calls` calls, default 1) on a free UDP port, and a trunk pointing at it. */
  carrier(name: string, scenario: string, options?: { priority?: number; auth?: { username: string; password: string }; timeoutSeconds?: number; calls?: number }): Promise<{ trunkId: number; port: number; done: Promise<SippRun> }>;
  lastCdr(accountId: string): ReturnType<typeof lastCdrOf>;
  /** The call's record once the app has finished with it (it settles after the last BYE is answered). */
  finishedCdr(accountId: string): ReturnType<typeof lastCdrOf>;
}

function lastCdrOf(database: TestDatabase, accountId: string) {
  return database.db.selectFrom('cdrs').selectAll().where('account_id', '=', accountId).orderBy('started_at', 'desc').executeTakeFirstOrThrow();
}

export function callFixtures(database: () => TestDatabase, realm = 'dialo.test'): CallFixtures {
  return {
    async caller(username, balance) {
      const { db } = database();
      const accountId = await createAccount(db);
      await setStaticSipCredential(db, { accountId, username, realm, password: `${username}-secret` });
      if (balance > 0) await credit(db, accountId, balance);
      return { accountId, fields: (dialled, talkMs = 0) => `${username};[authentication username=${username} password=${username}-secret];${dialled};${talkMs}` };
    },
    async carrier(name, scenario, options = {}) {
      const port = await freeUdpPort();
      const peer = await startSipp({ scenario, target: '', listenPort: port, timeoutSeconds: options.timeoutSeconds ?? 20, calls: options.calls });
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
      return { trunkId: trunk.id, port, done: peer.done };
    },
    lastCdr: (accountId) => lastCdrOf(database(), accountId),
    finishedCdr: (accountId) =>
      vi.waitFor(
        async () => {
          const cdr = await lastCdrOf(database(), accountId);
          if (cdr.ended_at === null) throw new Error('call not closed yet');
          return cdr;
        },
        { timeout: 5000 },
      ),
  };
}
