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

export interface Database {
  accounts: AccountsTable;
  audit_events: AuditEventsTable;
  rates: RatesTable;
  account_balances: AccountBalancesTable;
  ledger_entries: LedgerEntriesTable;
  reservations: ReservationsTable;
  top_ups: TopUpsTable;
  stripe_events: StripeEventsTable;
  account_holds: AccountHoldsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;

/** Amounts below are integer micro-units (1/1,000,000 of the currency unit; core/money.ts). */
export interface RatesTable {
  id: Generated<number>;
  /** E.164 digits without "+". */
  prefix: string;
  description: ColumnType<string, string | undefined, string>;
  price_per_minute: number;
  first_increment: number;
  next_increment: number;
  connection_fee: ColumnType<number, number | undefined, number>;
  effective_from: Timestamp;
  created_at: CreatedAt;
}

/** Maintained by a trigger on ledger_entries; read-only for the application. */
export interface AccountBalancesTable {
  account_id: string;
  balance: ColumnType<number, number | undefined, never>;
  entries: ColumnType<number, number | undefined, never>;
  updated_at: CreatedAt;
}

export type LedgerEntryKind = 'top_up' | 'call_charge' | 'refund' | 'dispute' | 'adjustment';

/** Append-only: UPDATE and DELETE are refused by a trigger. */
export interface LedgerEntriesTable {
  id: Generated<number>;
  account_id: string;
  kind: LedgerEntryKind;
  amount: number;
  reference: string | null;
  reason: string | null;
  actor_account_id: string | null;
  created_at: CreatedAt;
}

export type ReservationStatus = 'active' | 'settled' | 'released' | 'expired';

export interface ReservationsTable {
  id: Generated<string>;
  account_id: string;
  status: ColumnType<ReservationStatus, ReservationStatus | undefined, ReservationStatus>;
  rate_id: number | null;
  price_per_minute: number;
  first_increment: number;
  next_increment: number;
  connection_fee: number;
  max_seconds: number;
  hold: number;
  created_at: CreatedAt;
  expires_at: Timestamp;
  closed_at: Date | null;
  billable_seconds: number | null;
  charged: number | null;
}

export interface TopUpsTable {
  id: Generated<string>;
  account_id: string;
  request_key: string;
  /** In the currency's minor unit, as Stripe counts it (not micro-units). */
  amount_minor: number;
  currency: string;
  payment_intent_id: string | null;
  status: ColumnType<'pending' | 'succeeded', 'pending' | 'succeeded' | undefined, 'pending' | 'succeeded'>;
  created_at: CreatedAt;
  succeeded_at: Date | null;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  /** What processing did: 'credited', 'refunded', 'disputed', 'ignored: ...'. */
  outcome: string;
  processed_at: CreatedAt;
}

export interface AccountHoldsTable {
  id: Generated<number>;
  account_id: string;
  kind: 'dispute';
  /** The Stripe dispute id. */
  reference: string;
  created_at: CreatedAt;
  released_at: Date | null;
}

export type Rate = Selectable<RatesTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
export type Reservation = Selectable<ReservationsTable>;
export type TopUp = Selectable<TopUpsTable>;
