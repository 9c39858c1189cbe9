/**
 * The Kysely `Database` interface: one table interface per table, named as in SQL.
 * Each migration that adds a table adds its interface here.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A timestamp the database fills in; written as a Date or ISO string, read as a Date. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type AccountStatus = 'pending' | 'active' | 'disabled' | 'deleted';
export type AccountRole = 'user' | 'operator';

export interface AccountsTable {
  id: Generated<string>;
  /** Null once the account is erased; unique case-insensitively (index on lower(email)). */
  email: string | null;
  /** argon2id PHC string; null for an erased account. */
  password_hash: string | null;
  status: ColumnType<AccountStatus, AccountStatus | undefined, AccountStatus>;
  role: ColumnType<AccountRole, AccountRole | undefined, AccountRole>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** Optional name shown in the app; the user can correct it. */
  display_name: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set when the user asked for deletion; erasure runs then, or once no legal hold remains. */
  erasure_requested_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AuditEventsTable {
  id: Generated<number>;
  occurred_at: CreatedAt;
  /** Who acted: an account, or null for the system (jobs, webhooks). */
  actor_account_id: string | null;
  /** Dotted verb, e.g. `account.created`, `privacy.export`, `admin.adjustment`. */
  action: string;
  /** The account the action concerns, if any. */
  subject_account_id: string | null;
  /** Counts and ids only: never secrets, and personal data only where the action needs it. */
  detail: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, Record<string, unknown>>;
}

export interface SessionsTable {
  id: Generated<string>;
  account_id: string;
  /** SHA-256 (hex) of the cookie token; the token itself is never stored. */
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

export interface EmailTokensTable {
  id: Generated<string>;
  account_id: string;
  purpose: EmailTokenPurpose;
  /** SHA-256 (hex) of the token sent by e-mail. */
  token_hash: string;
  /** On an e-mail change: the new address, which takes effect once this token is used. */
  new_email: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface EmailOutboxTable {
  id: Generated<number>;
  /** Null for mail not tied to an account; the row goes when the account is erased. */
  account_id: string | null;
  /** What the mail is, e.g. `verify_email`, `password_reset`, `policy_notice`. */
  kind: string;
  to_address: string;
  subject: string;
  body_text: string;
  created_at: CreatedAt;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  sent_at: Date | null;
  last_error: string | null;
}

export interface RateLimitCountersTable {
  /** e.g. `login:ip:<sha256 of the IP>`, `login:email:<sha256 of the address>`. */
  key: string;
  /** When this key's current window opened (its first hit since the last window ran out). */
  window_start: Date;
  hits: ColumnType<number, number | undefined, number>;
  /** When the window is over and the row can go. */
  expires_at: Timestamp;
}

export interface PolicyVersionsTable {
  id: Generated<number>;
  /** e.g. `2025-10`. */
  version: string;
  body_text: string;
  /** A material change: active users are mailed and asked to acknowledge it. */
  material: boolean;
  published_at: CreatedAt;
  published_by: string | null;
}

export interface PolicyAcknowledgementsTable {
  account_id: string;
  policy_version_id: number;
  acknowledged_at: CreatedAt;
}

export interface LegalHoldsTable {
  id: Generated<string>;
  account_id: string;
  reason: string;
  placed_by: string | null;
  placed_at: CreatedAt;
  lifted_by: string | null;
  lifted_at: Date | null;
}

export interface Database {
  accounts: AccountsTable;
  audit_events: AuditEventsTable;
  sessions: SessionsTable;
  email_tokens: EmailTokensTable;
  email_outbox: EmailOutboxTable;
  rate_limit_counters: RateLimitCountersTable;
  policy_versions: PolicyVersionsTable;
  policy_acknowledgements: PolicyAcknowledgementsTable;
  legal_holds: LegalHoldsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type Session = Selectable<SessionsTable>;
export type EmailToken = Selectable<EmailTokensTable>;
export type OutboxEmail = Selectable<EmailOutboxTable>;
