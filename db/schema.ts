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

export interface SipCredentialsTable {
  id: Generated<number>;
  account_id: string;
  username: string;
  realm: string;
  /** HA1 = MD5(username:realm:password), hex. */
  ha1_md5: string;
  /** HA1 = SHA-256(username:realm:password), hex. */
  ha1_sha256: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type SipTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface RegistrationsTable {
  id: Generated<number>;
  account_id: string;
  /** The digest username the binding was made with. */
  username: string;
  /** The Contact URI, as the UA sent it. */
  contact: string;
  expires_at: Timestamp;
  transport: SipTransport;
  source_address: string;
  source_port: number;
  /** host:port of the drachtio-server holding the connection (for ws/tcp the only way back to the UA). */
  drachtio_server: string;
  user_agent: string | null;
  /** Call-ID and CSeq of the last REGISTER that refreshed this binding (RFC 3261 §10.3 step 7). */
  call_id: string;
  cseq: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface Database {
  accounts: AccountsTable;
  audit_events: AuditEventsTable;
  sip_credentials: SipCredentialsTable;
  registrations: RegistrationsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type Registration = Selectable<RegistrationsTable>;
