/**
 * Fixtures for calls to numbers we host: DIDs, trunks that send us calls from listed addresses, and phones that
 * register through the real registrar and then take the call with a sipp UAS scenario.
 */
import { openCallRecords } from '../../core/calls/history.ts';
import { TEST_VAULT } from './api.ts';
import { onceClosed } from './calls.ts';
import type { TestDatabase } from './databases.ts';
import { freeUdpPort } from './external.ts';
import { runSipp, startSipp, type SippRun } from './sipp.ts';

export interface Phone {
  readonly port: number;
  /** Resolves when the phone's scenario has ended (code 0: it saw what it expected). */
  readonly done: Promise<SippRun>;
}

export interface InboundFixtures {
  /** `e164` becomes a number of `accountId`. */
  did(e164: string, accountId: string): Promise<void>;
  /** A carrier that only sends us calls, from the CIDR blocks in `sources`. */
  inboundTrunk(name: string, sources: readonly string[]): Promise<number>;
  /**
   * A phone on a free UDP port: it REGISTERs (digest-authenticated, through the app's registrar, with
   * test/sipp/uac-register-expect-200.xml and `registerFields`), and then runs `scenario` on the same port, so the
   * registration's source address is where the call arrives.
   */
  phone(target: string, registerFields: string, scenario: string, timeoutSeconds?: number): Promise<Phone>;
  /** The record of the latest call to `number`, once the app has closed it. */
  finishedCallTo(number: string): ReturnType<typeof latestCallTo>;
}

/** Found by the number as its owner's records seal it (deterministically), or as a record without an account holds it. */
async function latestCallTo(database: TestDatabase, number: string) {
  const { db } = database;
  const owner = await db.selectFrom('dids').select('account_id').where('e164', '=', number).executeTakeFirst();
  const sealed = owner?.account_id == null ? number : await TEST_VAULT.seal(db, owner.account_id, number, { deterministic: true });
  const row = await db.selectFrom('cdrs').selectAll().where('to_number', 'in', [number, sealed]).orderBy('started_at', 'desc').executeTakeFirstOrThrow();
  const [opened] = await openCallRecords(db, TEST_VAULT, [row]);
  return opened!;
}

export function inboundFixtures(database: () => TestDatabase): InboundFixtures {
  return {
    async did(e164, accountId) {
      await database().db.insertInto('dids').values({ e164, account_id: accountId }).execute();
    },
    async inboundTrunk(name, sources) {
      const trunk = await database()
        .db.insertInto('trunks')
        .values({ name, outbound_uri: null, inbound_sources: [...sources] })
        .returning('id')
        .executeTakeFirstOrThrow();
      return trunk.id;
    },
    async phone(target, registerFields, scenario, timeoutSeconds = 20) {
      const port = await freeUdpPort();
      const registered = await runSipp({ scenario: 'uac-register-expect-200.xml', target, fields: [registerFields], localPort: port });
      if (registered.code !== 0) throw new Error(`phone did not register: ${registered.log}`);
      const answering = await startSipp({ scenario, target: '', listenPort: port, timeoutSeconds });
      return { port, done: answering.done };
    },
    finishedCallTo: (number) => onceClosed(() => latestCallTo(database(), number)),
  };
}
