/**
 * What every table holding data about an account tells the privacy features: how to export it, how to
 * erase or de-identify it, what pauses erasure, and how retention sweeps it. Each area adds its tables
 * to the registry (registry.ts); a test finds every table with a foreign key to accounts and fails if one
 * is missing there.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Vault } from './vault.ts';

export type ExportRow = Record<string, unknown>;

export interface RetentionWindows {
  /** Usage and security events (logins, failures). */
  readonly usageDays: number;
  /** Call detail records with full numbers (for the call records area). */
  readonly callDetailDays: number;
  /** De-identified records kept for billing and law. */
  readonly deidentifiedYears: number;
  /** Mail already sent (or given up on). */
  readonly sentMailDays: number;
}

export interface PrivacyTools {
  /** Irreversible keyed hash (HMAC-SHA256) for values that must stay joinable but unreadable. */
  deidentify(value: string): string;
  /** Seals personal data under its account's key, and destroys the key on erasure. */
  readonly vault: Vault;
}

export interface AccountDataSource {
  /** The table this source covers. */
  readonly table: string;
  /** What it holds, in words (goes into the export). */
  readonly holds: string;
  /** Every row about the account, ready for JSON. */
  export(db: Kysely<Database>, accountId: string): Promise<ExportRow[]>;
  /** Set when the subject may not see these rows (e.g. legal holds): why. The operator export still has them. */
  readonly withheldFromSubject?: string;
  /** Erases the account's rows, or de-identifies those billing or law must keep; returns rows touched. */
  erase(db: Kysely<Database>, accountId: string, tools: PrivacyTools): Promise<number>;
  /** Why erasure of this account must wait (a legal hold, an open dispute), or null. */
  blocksErasure?(db: Kysely<Database>, accountId: string): Promise<string | null>;
  /** Deletes or de-identifies rows past their window; returns rows touched. Must be idempotent. */
  sweep?(db: Kysely<Database>, windows: RetentionWindows, tools: PrivacyTools): Promise<number>;
}
