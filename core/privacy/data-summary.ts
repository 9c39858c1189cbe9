/**
 * "Your data, in plain view": for the signed-in account, one entry per kind of data users understand (the
 * registry's sources grouped), with how many records it holds, how long that kind is kept, and the next date
 * the retention run (retention.ts) will de-identify or delete some of it. Counts and dates come from SQL; the
 * dates follow each source's sweep, so they are what the sweep will do, not a promise of its own.
 *
 * A legal hold pauses erasure on request (erasure.ts), not the retention windows: it is told to the subject as a
 * pause of deletion only, without the operator's words or anything else about the hold (legal holds are withheld
 * from the subject, sources/legal-holds.ts); the deletion route already answers `paused` in that case.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { DEIDENTIFIED } from '../calls/cdr.ts';
import { MAX_ATTEMPTS } from '../email/delivery.ts';
import type { AccountDataSource, RetentionWindows } from './data-source.ts';
import { accountDataSources } from './registry.ts';

const DAY_MS = 86_400_000;

export type DataKind = 'account' | 'calls' | 'payments' | 'devices' | 'mail' | 'security';

/** What the subject may be told pauses deletion of the account: never which hold, by whom, or why. */
export type DeletionPause = 'legal_obligation' | 'open_dispute';

export interface NextChange {
  readonly on: Date;
  readonly change: 'deidentify' | 'delete';
  /** What happens then, in words. */
  readonly what: string;
}

export interface DataKindSummary {
  readonly kind: DataKind;
  /** What it holds, in words: each source's `holds`. */
  readonly holds: readonly string[];
  /** Records of this kind held about the account. */
  readonly count: number;
  /** How long this kind is kept, in words, with the configured windows. */
  readonly kept: string;
  /** The earliest date some of it will be de-identified or deleted by retention; null when none is scheduled. */
  readonly nextChange: NextChange | null;
}

export interface DataSummary {
  readonly kinds: readonly DataKindSummary[];
  /** What would pause deletion of the account if it were requested now (empty: nothing). */
  readonly deletionPausedBy: readonly DeletionPause[];
}

/** Which kind each subject-visible source belongs to (withheld sources belong to none). */
export const KIND_OF_TABLE: Readonly<Record<string, DataKind>> = {
  accounts: 'account',
  sessions: 'account',
  email_tokens: 'account',
  policy_acknowledgements: 'account',
  policy_versions: 'account',
  account_call_limits: 'account',
  rate_limit_counters: 'account',
  cdrs: 'calls',
  ledger_entries: 'payments',
  account_balances: 'payments',
  reservations: 'payments',
  top_ups: 'payments',
  account_holds: 'payments',
  sip_credentials: 'devices',
  registrations: 'devices',
  push_subscriptions: 'devices',
  dids: 'devices',
  email_outbox: 'mail',
  audit_events: 'security',
};

const KINDS: readonly DataKind[] = ['account', 'calls', 'payments', 'devices', 'mail', 'security'];

function asDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(value as string | Date);
}

function plusDays(date: Date | null, days: number): Date | null {
  return date && new Date(date.getTime() + days * DAY_MS);
}

/** The earliest of the candidates that have a date. */
function earliest(...candidates: (NextChange | null)[]): NextChange | null {
  return candidates.reduce<NextChange | null>((best, next) => (next !== null && (best === null || next.on < best.on) ? next : best), null);
}

function change(on: Date | null, kind: NextChange['change'], what: string): NextChange | null {
  return on === null ? null : { on, change: kind, what };
}

/**
 * Throws nothing for an unknown account: every kind counts 0.
 * @example
 * const summary = await summarizeAccountData(db, accountId, config.privacy.retention); // summary.kinds[1] is 'calls'
 */
export async function summarizeAccountData(
  db: Kysely<Database>,
  accountId: string,
  windows: RetentionWindows,
  sources: readonly AccountDataSource[] = accountDataSources,
): Promise<DataSummary> {
  const counts = await countByTable(db, accountId);
  const next = await nextChanges(db, accountId, windows);
  const kept: Record<DataKind, string> = {
    account:
      'your profile until you delete your account (then emptied; which policies you acknowledged stays, tied to no name); ' +
      'sign-in sessions and e-mail links until they expire',
    calls: `numbers in full for ${windows.callDetailDays} days after the call, then de-identified; the de-identified record for ${windows.deidentifiedYears} years after the call`,
    payments: 'for billing and tax law: kept when the account is deleted, and not deleted on a schedule',
    devices:
      'SIP usernames and numbers while your account exists (erased, numbers released, when it is deleted); a device registration until it expires; ' +
      'a browser woken for calls until you remove it, its push service says it is gone, or the account is deleted',
    mail: `${windows.sentMailDays} days after we wrote it, once sent (or given up on)`,
    security: `logins and failed logins for ${windows.usageDays} days; other events (changes, privacy requests) while the account exists, and ${windows.deidentifiedYears} years after it is deleted`,
  };
  const visible = sources.filter((source) => source.withheldFromSubject === undefined);
  const kinds = KINDS.map((kind): DataKindSummary => {
    const mine = visible.filter((source) => KIND_OF_TABLE[source.table] === kind);
    return {
      kind,
      holds: mine.map((source) => source.holds),
      count: mine.reduce((sum, source) => sum + (counts[source.table] ?? 0), 0),
      kept: kept[kind],
      nextChange: next[kind],
    };
  });
  const blockers = await Promise.all(sources.map((source) => source.blocksErasure?.(db, accountId) ?? null));
  const deletionPausedBy: DeletionPause[] = [];
  if (blockers.includes('legal_hold')) deletionPausedBy.push('legal_obligation');
  if (blockers.includes('open_dispute')) deletionPausedBy.push('open_dispute');
  return { kinds, deletionPausedBy };
}

/**
 * Rows about the account per table, in one query, each with the scope of its source's export (a test holds the two
 * together); rate-limit counters are not found by account (sources/rate-limits.ts) and count 0, as they export.
 */
async function countByTable(db: Kysely<Database>, accountId: string): Promise<Record<string, number>> {
  const mine = (table: string) => sql`(select count(*) from ${sql.table(table)} where account_id = ${accountId})`;
  const row = await sql<Record<string, string | number>>`select
      (select count(*) from accounts where id = ${accountId}) as accounts,
      ${mine('sessions')} as sessions,
      ${mine('email_tokens')} as email_tokens,
      ${mine('policy_acknowledgements')} as policy_acknowledgements,
      (select count(*) from policy_versions where published_by = ${accountId}) as policy_versions,
      (select count(*) from account_call_limits
        where account_id = ${accountId} or suspended_by = ${accountId} or lifted_by = ${accountId}) as account_call_limits,
      ${mine('cdrs')} as cdrs,
      ${mine('ledger_entries')} as ledger_entries,
      ${mine('account_balances')} as account_balances,
      ${mine('reservations')} as reservations,
      ${mine('top_ups')} as top_ups,
      ${mine('account_holds')} as account_holds,
      ${mine('sip_credentials')} as sip_credentials,
      ${mine('registrations')} as registrations,
      ${mine('push_subscriptions')} as push_subscriptions,
      ${mine('dids')} as dids,
      ${mine('email_outbox')} as email_outbox,
      (select count(*) from audit_events where subject_account_id = ${accountId} or actor_account_id = ${accountId}) as audit_events`.execute(db);
  const counts = row.rows[0] ?? {};
  return Object.fromEntries(Object.entries(counts).map(([table, count]) => [table, Number(count)]));
}

/** The earliest scheduled change per kind, following each source's sweep (the same conditions), in one query. */
async function nextChanges(db: Kysely<Database>, accountId: string, windows: RetentionWindows): Promise<Record<DataKind, NextChange | null>> {
  const deidentified = `${DEIDENTIFIED}%`;
  const result = await sql<Record<string, unknown>>`select
      (select min(expires_at) from sessions where account_id = ${accountId}) as session_ends,
      (select min(expires_at) from email_tokens where account_id = ${accountId}) as link_ends,
      (select min(started_at) from cdrs where account_id = ${accountId}
        and (from_number not like ${deidentified} or to_number not like ${deidentified})) as identified,
      (select min(started_at) from cdrs where account_id = ${accountId}) as any_call,
      (select min(expires_at) from registrations where account_id = ${accountId}) as registration_ends,
      (select min(created_at) from email_outbox where account_id = ${accountId}
        and (sent_at is not null or attempts >= ${MAX_ATTEMPTS})) as sent_mail,
      (select min(occurred_at) from audit_events where (subject_account_id = ${accountId} or actor_account_id = ${accountId})
        and action like 'auth.%') as first_login`.execute(db);
  const first = result.rows[0] ?? {};
  const at = (column: string) => asDate(first[column]);
  return {
    account: earliest(
      change(at('session_ends'), 'delete', 'a sign-in session ends and its record is deleted'),
      change(at('link_ends'), 'delete', 'an e-mail link expires and is deleted'),
    ),
    calls: earliest(
      change(plusDays(at('identified'), windows.callDetailDays), 'deidentify', 'the numbers in your oldest call records are replaced by keyed hashes'),
      change(plusDays(at('any_call'), windows.deidentifiedYears * 365), 'delete', 'your oldest de-identified call records are deleted'),
    ),
    payments: null,
    devices: change(at('registration_ends'), 'delete', 'a device registration expires and is deleted'),
    mail: change(plusDays(at('sent_mail'), windows.sentMailDays), 'delete', 'your oldest sent mail is deleted'),
    security: change(plusDays(at('first_login'), windows.usageDays), 'delete', 'your oldest login events are deleted'),
  };
}
