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
  /** Sealed under the account's key (core/privacy/vault.ts); null once the account is erased. */
  email: string | null;
  /**
   * The vault's lookup hash of the lower-cased address (0041): how an address is found, unique where not null. Null
   * once erased.
   */
  email_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** argon2id PHC string; null for an erased account. */
  password_hash: string | null;
  status: ColumnType<AccountStatus, AccountStatus | undefined, AccountStatus>;
  role: ColumnType<AccountRole, AccountRole | undefined, AccountRole>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** Optional name shown in the app, sealed; the user can correct it. */
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
  /** The SIP endpoints of the drachtio-server holding the connection (`ws/host:port,udp/...`): for ws/tcp the only way back to the UA. */
  drachtio_server: string;
  user_agent: string | null;
  /** The device's `+sip.instance` (RFC 5626 §4.1), when it sends one: a new contact from it replaces its old ones. */
  instance_id: string | null;
  /** Call-ID and CSeq of the last REGISTER that refreshed this binding (RFC 3261 §10.3 step 7). */
  call_id: string;
  cseq: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TrunksTable {
  id: Generated<number>;
  name: string;
  /** Lower goes first. */
  priority: ColumnType<number, number | undefined, number>;
  /** The outbound INVITE's next hop, e.g. `sip:carrier.example.net:5060`; null for an inbound-only trunk. */
  outbound_uri: string | null;
  auth_username: string | null;
  auth_password: string | null;
  /** CIDR blocks inbound INVITEs may come from. */
  inbound_sources: ColumnType<string[], string[] | undefined, string[]>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  /** How the dialled number is written in the Request-URI and To (core/calls/dial-string.ts). */
  number_format: ColumnType<TrunkNumberFormat, TrunkNumberFormat | undefined, TrunkNumberFormat>;
  /** Digits put before the number, or null. */
  tech_prefix: string | null;
  /** `pai`: the caller's number in P-Asserted-Identity as well as From (RFC 3325). */
  caller_id_header: ColumnType<TrunkCallerIdHeader, TrunkCallerIdHeader | undefined, TrunkCallerIdHeader>;
  /** From anonymous and `Privacy: id` (RFC 3323): the number goes in PAI only; needs `caller_id_header` 'pai'. */
  caller_id_withheld: ColumnType<boolean, boolean | undefined, boolean>;
  /** Codec names put first in the offer the carrier gets, in this order; null: as offered. */
  codec_order: string[] | null;
  /** The registrar this trunk registers with (RFC 3261 §10.2), e.g. `sip:reg.carrier.example`; null: it does not. */
  register_uri: string | null;
  /** The address-of-record's user and digest username; set whenever `register_uri` is. */
  register_username: string | null;
  /** Write-only in the API. */
  register_password: string | null;
  /** Seconds asked for in REGISTER, 60 to 86400; the registrar may grant less. */
  register_expires: ColumnType<number, number | undefined, number>;
  /** Where an INVITE on the registration carries the DID. */
  register_did_source: ColumnType<TrunkDidSource, TrunkDidSource | undefined, TrunkDidSource>;
  /** PEM of the CA(s) a TLS carrier's certificate must chain to (checked by signaling/trunk-tls-check.ts); null: none beyond drachtio-server's. */
  tls_ca_pem: string | null;
  /** SHA-256 fingerprint the TLS carrier's certificate must have, `AB:CD:...`; null: not pinned. */
  tls_pin_sha256: string | null;
  /** `sdes`: SRTP to the carrier keyed in SDP (RFC 4568) through the media server, never plain RTP. */
  media_encryption: ColumnType<TrunkMediaEncryption, TrunkMediaEncryption | undefined, TrunkMediaEncryption>;
}

export type TrunkMediaEncryption = 'none' | 'sdes';

export type TrunkDidSource = 'request-uri' | 'to';

/** Which signaling node registers a trunk, until when (core/calls/trunk-lease.ts). */
export interface TrunkRegistrationLeasesTable {
  trunk_id: number;
  node_id: string;
  expires_at: Date;
}

/** A registration as its lease holder last wrote it (core/calls/trunk-state.ts). */
export interface TrunkRegistrationStatesTable {
  trunk_id: number;
  node_id: string;
  state: 'unregistered' | 'registered' | 'failed';
  since: Date;
  last_status: number | null;
  last_reason: 'refused' | 'timeout' | 'error' | null;
  registered_until: Date | null;
  retry_at: Date | null;
  updated_at: Date;
}

/** One node's OPTIONS-ping view of one trunk (core/calls/trunk-state.ts). */
export interface TrunkHealthTable {
  trunk_id: number;
  node_id: string;
  state: 'unknown' | 'up' | 'down';
  since: Date;
  consecutive_failures: number;
  last_status: number | null;
  last_result: 'answered' | 'unavailable' | 'timeout' | 'error' | null;
  last_ping_at: Date | null;
  updated_at: Date;
  fresh_until: Date;
}

export type TrunkNumberFormat = 'e164' | 'e164-no-plus' | 'national';
export type TrunkCallerIdHeader = 'from' | 'pai';

export interface DidsTable {
  /** `+` and 7 to 15 digits. */
  e164: string;
  account_id: string | null;
  created_at: CreatedAt;
}

/** `echo`: the echo test (ECHO_TEST_NUMBER), answered by the media server, never billed. */
export type CallDirection = 'outbound' | 'inbound' | 'onnet' | 'echo';

export interface CdrsTable {
  id: Generated<string>;
  sip_call_id: string;
  direction: CallDirection;
  account_id: string | null;
  from_number: string | null;
  to_number: string | null;
  trunk_id: number | null;
  /** The call state's phase (core/calls/call-state.ts) when last written. */
  phase: string;
  refusal_reason: string | null;
  sip_status: number | null;
  hangup_cause: string | null;
  ended_by: 'caller' | 'callee' | 'system' | null;
  started_at: CreatedAt;
  answered_at: Date | null;
  ended_at: Date | null;
  /** Last heartbeat of an answered call (when its process last saw it up); a crash-orphaned call is billed to it. */
  alive_at: Date | null;
  /** drachtio-server's ids of the answered call's caller and callee dialogs (a restart hangs both up by them). */
  caller_dialog: string | null;
  callee_dialog: string | null;
  /** The media server that carried the answered call's audio (`freeswitch <address>`); null: media went directly. */
  media_server: string | null;
  /** Mean opinion score (1-5) the media server measured, the worse of the two directions; null if not measured. */
  mos: number | null;
  /** The user's browser's own report at the call's end (0047): E-model MOS in hundredths (100-500). Null: none came. */
  browser_mos: number | null;
  browser_rtt_ms: number | null;
  browser_jitter_ms: number | null;
  /** Received packets lost, in thousandths. */
  browser_loss_permille: number | null;
  /** ISO 3166 alpha-2 country of `to_number`, from the number when the record was opened (0048); null: none or unknown. */
  destination_country: string | null;
  billable_seconds: number | null;
  /** Micro-units charged (core/money.ts). */
  cost: number | null;
  node_id: string;
  /** When an operator asked for the call to be hung up (0051); the node holding it ends it on its next poll. */
  hangup_requested_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** For a leg placed by a transfer (0052): the record of the user who transferred, whose account pays for it. */
  transferred_from: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Per-account call limits over the operator's defaults (null = default), and outbound suspension. */
export interface AccountCallLimitsTable {
  account_id: string;
  max_concurrent_calls: ColumnType<number | null, number | null | undefined, number | null>;
  /** 0: no limit. */
  calls_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  /** Micro-units over any 24 h; 0: no cap. */
  daily_spend_cap: ColumnType<number | null, number | null | undefined, number | null>;
  /** ISO 3166 alpha-2 codes calls may go to; ['*'] = anywhere. */
  allowed_countries: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** Set while outbound calling is suspended. */
  suspended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  suspension_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The operator who suspended; null when pattern detection did. */
  suspended_by: ColumnType<string | null, string | null | undefined, string | null>;
  lifted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  lifted_by: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
}

/** Destination prefixes (E.164 digits) no call may go to. */
export interface BlockedPrefixesTable {
  prefix: string;
  reason: string;
  created_at: CreatedAt;
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
  /** On an e-mail change: the new address (sealed), which takes effect once this token is used. */
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
  /**
   * With an account, the address is sealed under its key (0041), and so are the subject and body of mail queued for
   * that one account; mail set-based statements queue (policy notices, reset links) copies the sealed address and
   * keeps our fixed text plain. Mail with no account is plain.
   */
  to_address: string;
  subject: string;
  body_text: string;
  created_at: CreatedAt;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  sent_at: Date | null;
  last_error: string | null;
  /** When the mail was written to the app's log because SMTP_URL is unset (0006); it stays queued. */
  logged_at: Date | null;
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
  /** The operator's words; null once the account is erased (0038), as they may name the person. */
  reason: ColumnType<string | null, string, null>;
  placed_by: string | null;
  placed_at: CreatedAt;
  lifted_by: string | null;
  lifted_at: Date | null;
}

/** A browser's Web Push subscription (0050); every text column sealed under the account's key. */
export interface PushSubscriptionsTable {
  id: Generated<string>;
  account_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  label: string | null;
  created_at: CreatedAt;
  last_success_at: Date | null;
}

export interface Database {
  accounts: AccountsTable;
  audit_events: AuditEventsTable;
  sip_credentials: SipCredentialsTable;
  registrations: RegistrationsTable;
  trunks: TrunksTable;
  trunk_registration_leases: TrunkRegistrationLeasesTable;
  trunk_registration_states: TrunkRegistrationStatesTable;
  trunk_health: TrunkHealthTable;
  dids: DidsTable;
  cdrs: CdrsTable;
  sessions: SessionsTable;
  email_tokens: EmailTokensTable;
  email_outbox: EmailOutboxTable;
  rates: RatesTable;
  account_balances: AccountBalancesTable;
  ledger_entries: LedgerEntriesTable;
  reservations: ReservationsTable;
  top_ups: TopUpsTable;
  stripe_events: StripeEventsTable;
  account_holds: AccountHoldsTable;
  top_up_reversals: TopUpReversalsTable;
  rate_limit_counters: RateLimitCountersTable;
  policy_versions: PolicyVersionsTable;
  policy_acknowledgements: PolicyAcknowledgementsTable;
  legal_holds: LegalHoldsTable;
  account_call_limits: AccountCallLimitsTable;
  blocked_prefixes: BlockedPrefixesTable;
  signaling_nodes: SignalingNodesTable;
  cache_versions: CacheVersionsTable;
  push_subscriptions: PushSubscriptionsTable;
  'key_store.account_keys': AccountKeysTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type Registration = Selectable<RegistrationsTable>;
export type Session = Selectable<SessionsTable>;
export type EmailToken = Selectable<EmailTokensTable>;
export type OutboxEmail = Selectable<EmailOutboxTable>;

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

/** Append-only: UPDATE and DELETE are refused by a trigger, but for erasure clearing `reason` (0038). */
export interface LedgerEntriesTable {
  id: Generated<number>;
  account_id: string;
  kind: LedgerEntryKind;
  amount: number;
  reference: string | null;
  /** Free text (an operator's, for adjustments); null once the account is erased. */
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
  /** The call record this hold pays for (no foreign key; see migration 0014). */
  cdr_id: ColumnType<string | null, string | null | undefined, string | null>;
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
  released_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A refund or dispute of a top-up's payment as the provider reported it (migrations 0037, 0039). */
export interface TopUpReversalsTable {
  kind: 'refund' | 'dispute';
  /** The provider's refund or dispute id. */
  id: string;
  top_up_id: string;
  /** In the currency's minor unit. */
  amount_minor: number;
  reason: string | null;
  /** The operator's idempotency key, for a refund asked for through core/billing/top-ups.ts. */
  request_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** Why the money came back ('refund failed', 'dispute won'); null while it is gone. */
  returned: string | null;
  /** Whether the amount has left us (0039): false for a dispute that is only an inquiry so far. */
  withdrawn: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type Rate = Selectable<RatesTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
export type Reservation = Selectable<ReservationsTable>;
export type TopUp = Selectable<TopUpsTable>;

/** A signaling process's last heartbeat (core/calls/nodes.ts). */
export interface SignalingNodesTable {
  node_id: string;
  alive_at: Date;
  /** A random name per process: a write by another instance since ours means two processes share the node id. */
  instance: string;
}

export interface CacheVersionsTable {
  /** What a cache holds, e.g. `sip-credentials`. */
  topic: string;
  /** Bumped by triggers whenever the rows behind the topic change. */
  version: Generated<number>;
}

/** An account's data key (core/privacy/vault.ts), in the `key_store` schema: destroyed on erasure (crypto-shredding). */
export interface AccountKeysTable {
  account_id: string;
  /** IV, the key sealed with AES-256-GCM under the master key, and the tag. */
  wrapped_key: Buffer;
  /** Which master key wrapped it. */
  master_key_id: string;
  created_at: CreatedAt;
}
