/**
 * What is up right now: calls whose records are still open (0021's partial index of open records) and the devices
 * registered (bindings not expired, 0020's expires_at index). Counts only.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

export interface LiveActivity {
  /** Answered and still up. */
  readonly answeredCalls: number;
  /** Being set up or ringing. */
  readonly settingUpCalls: number;
  readonly registrations: number;
  /** Accounts with at least one device registered. */
  readonly registeredAccounts: number;
}

export async function liveActivity(db: Kysely<Database>, now: Date): Promise<LiveActivity> {
  const [calls, bindings] = await Promise.all([
    db
      .selectFrom('cdrs')
      .where('ended_at', 'is', null)
      .select([sql<string>`count(answered_at)`.as('answered'), sql<string>`count(*) - count(answered_at)`.as('setting_up')])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('registrations')
      .where('expires_at', '>', now)
      .select([sql<string>`count(*)`.as('bindings'), sql<string>`count(distinct account_id)`.as('accounts')])
      .executeTakeFirstOrThrow(),
  ]);
  return {
    answeredCalls: Number(calls.answered),
    settingUpCalls: Number(calls.setting_up),
    registrations: Number(bindings.bindings),
    registeredAccounts: Number(bindings.accounts),
  };
}
