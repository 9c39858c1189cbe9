/**
 * Every table that holds data about an account, and how the privacy features treat it. Adding a table
 * with a foreign key to accounts? Add its source here (a test fails until you do). Erasure runs in this
 * order: keep `accountsSource` last, it empties the account row the others may still read.
 */
import type { AccountDataSource } from './data-source.ts';
import { accountsSource, emailTokensSource, sessionsSource } from './sources/accounts.ts';
import { auditEventsSource } from './sources/audit-events.ts';
import { accountBalancesSource, accountHoldsSource, ledgerEntriesSource, reservationsSource, topUpsSource } from './sources/billing.ts';
import { accountCallLimitsSource } from './sources/call-limits.ts';
import { cdrsSource, didsSource, registrationsSource, sipCredentialsSource } from './sources/calls.ts';
import { emailOutboxSource } from './sources/email-outbox.ts';
import { legalHoldsSource } from './sources/legal-holds.ts';
import { policyAcknowledgementsSource, policyVersionsSource } from './sources/policy.ts';
import { pushSubscriptionsSource } from './sources/push-subscriptions.ts';
import { rateLimitCountersSource } from './sources/rate-limits.ts';

export const accountDataSources: readonly AccountDataSource[] = [
  sessionsSource,
  emailTokensSource,
  emailOutboxSource,
  auditEventsSource,
  policyAcknowledgementsSource,
  policyVersionsSource,
  legalHoldsSource,
  ledgerEntriesSource,
  accountBalancesSource,
  reservationsSource,
  topUpsSource,
  accountHoldsSource,
  sipCredentialsSource,
  registrationsSource,
  pushSubscriptionsSource,
  didsSource,
  cdrsSource,
  accountCallLimitsSource,
  rateLimitCountersSource,
  accountsSource,
];
