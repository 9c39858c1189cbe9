/**
 * Every text column of the data (the `public` schema), decided once: sealed under its account's key
 * (core/privacy/vault.ts), so a backup restored after the account's erasure shows nothing readable, or kept plain,
 * each with why. A new column is in neither list until someone decides, and test/core/privacy/sealed-columns.test.ts
 * fails until then. docs/architecture.md points here.
 */

/** `table.column`: what personal data it holds. Written sealed; erasure destroys the key that opens it. */
export const SEALED_COLUMNS: Readonly<Record<string, string>> = {
  'accounts.email': "the person's address (looked up by its keyed hash instead)",
  'accounts.display_name': "the person's name",
  'email_tokens.new_email': 'the address a pending e-mail change would switch to',
  'email_outbox.to_address': 'the address a mail goes to',
  'email_outbox.subject': 'a mail queued for one account (enqueueEmail); set-based mail (policy notices, reset links) keeps our fixed subject plain',
  'email_outbox.body_text': 'a mail queued for one account, which may name the person; set-based mail keeps our fixed text and its link plain',
  'cdrs.from_number': 'a phone number (sealed deterministically, so one account can count distinct numbers)',
  'cdrs.to_number': 'a phone number (sealed deterministically, so one account can count distinct numbers)',
  'legal_holds.reason': "an operator's words about the person",
  'ledger_entries.reason': "an operator's (or a dispute's) words about the person",
  'account_call_limits.suspension_reason': "an operator's words about the person",
};

/** `table.column`: why it may stay plain. */
export const PLAIN_COLUMNS: Readonly<Record<string, string>> = {
  'account_call_limits.allowed_countries': 'country codes an operator allows the account to call',
  'account_holds.kind': 'a code (dispute, ...)',
  'account_holds.reference': "the payment provider's opaque id of the dispute, matched against its webhooks",
  'accounts.email_hash': 'the keyed hash (vault.lookupHash) an address is found by; no guess can be tested without the master key; null once erased',
  'accounts.password_hash': 'an argon2 hash, destroyed on erasure',
  'accounts.role': 'a code',
  'accounts.status': 'a code',
  // Gap: operator-written `reason` keys here (adjustments, suspensions, exports) may name the person; erasure clears
  // them in the live database (core/privacy/sources/audit-events.ts) but a backup keeps them. The IP of a failed
  // login is de-identified on erasure alone, likewise.
  'audit_events.detail': 'ids, counts and codes; see the comment above for what is not yet sealed',
  'audit_events.action': 'a code',
  'blocked_prefixes.prefix': 'a number prefix the operator blocks for everyone, not one person',
  'blocked_prefixes.reason': "an operator's words about a prefix, not about a person",
  'cache_versions.topic': 'an internal cache name',
  'cdrs.caller_dialog': "a live call's SIP dialog (its From/To hold numbers): cleared when the call ends, kept only to send BYE after a restart",
  'cdrs.callee_dialog': "a live call's SIP dialog (its From/To hold numbers): cleared when the call ends, kept only to send BYE after a restart",
  'cdrs.direction': 'a code',
  'cdrs.ended_by': 'a code',
  'cdrs.hangup_cause': 'a code',
  'cdrs.media_server': "one of our servers' addresses",
  'cdrs.node_id': "one of our signaling nodes' names",
  'cdrs.phase': 'a code',
  'cdrs.refusal_reason': 'a code',
  'cdrs.sip_call_id': 'a random SIP Call-ID',
  'dids.e164': "the operator's stock of numbers; released to nobody when the holder is erased",
  'email_outbox.kind': 'a code',
  // Gap: a mail server's refusal may quote the recipient's address; the row goes with the account and after
  // RETENTION_SENT_MAIL_DAYS, but a backup keeps it.
  'email_outbox.last_error': "the mail server's answer to the last attempt",
  'email_tokens.purpose': 'a code',
  'email_tokens.token_hash': 'a hash of a one-time token',
  'kysely_migration.name': 'a migration file name',
  'kysely_migration.timestamp': 'when a migration ran',
  'kysely_migration_lock.id': 'the migration lock',
  'ledger_entries.kind': 'a code',
  'ledger_entries.reference': "an id: the payment provider's, or a call reservation's",
  'policy_versions.body_text': "the operator's privacy policy",
  'policy_versions.version': "the policy's version",
  'rate_limit_counters.key': 'keyed hashes of who made an attempt (PRIVACY_HASH_KEY), swept when their window ends',
  'rates.description': "the operator's tariff text, not about a person",
  'rates.prefix': 'a tariff prefix',
  // A registration is a short-lived binding (minutes to an hour), deleted on erasure and on expiry: a backup holds
  // only those alive when it was taken.
  'registrations.call_id': "a phone's random REGISTER Call-ID",
  'registrations.contact': "a phone's SIP contact (address and user part): a short-lived binding, deleted on erasure and expiry",
  'registrations.drachtio_server': "one of our servers' names",
  'registrations.instance_id': "a phone's random instance id: a short-lived binding, deleted on erasure and expiry",
  'registrations.source_address': "a phone's IP: a short-lived binding, deleted on erasure and expiry",
  'registrations.transport': 'a code',
  'registrations.user_agent': "a phone's software name: a short-lived binding, deleted on erasure and expiry",
  'registrations.username': 'the SIP username we issued (account id and expiry), deleted on erasure and expiry',
  'reservations.status': 'a code',
  'sessions.token_hash': 'a hash of a session token',
  'signaling_nodes.instance': 'a random id of one of our processes',
  'signaling_nodes.node_id': "one of our signaling nodes' names",
  'sip_credentials.ha1_md5': 'a digest hash of a SIP password, deleted on erasure',
  'sip_credentials.ha1_sha256': 'a digest hash of a SIP password, deleted on erasure',
  'sip_credentials.realm': 'our SIP realm',
  'sip_credentials.username': 'the SIP username we issued, deleted on erasure',
  'stripe_events.id': "the payment provider's event id",
  'stripe_events.outcome': 'a code',
  'stripe_events.type': "the payment provider's event type",
  'top_up_reversals.id': "the payment provider's refund or dispute id",
  'top_up_reversals.kind': 'a code',
  'top_up_reversals.reason': "the payment provider's reason code",
  'top_up_reversals.request_key': "an operator's idempotency key",
  'top_up_reversals.returned': 'a code',
  'top_ups.currency': 'a currency code',
  'top_ups.payment_intent_id': "the payment provider's payment id",
  'top_ups.request_key': "the browser's idempotency key",
  'top_ups.status': 'a code',
  'trunks.auth_password': "a carrier's credentials, not about a person",
  'trunks.auth_username': "a carrier's credentials, not about a person",
  'trunks.inbound_sources': "a carrier's addresses",
  'trunks.name': "the operator's name for a carrier",
  'trunks.outbound_uri': "a carrier's address",
};
