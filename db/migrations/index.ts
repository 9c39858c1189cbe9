/**
 * Every migration, by name, in the order they apply. Listed in code rather than read from the folder
 * so they run the same under tsx, a bundler or a compiled build.
 */
import type { Migration } from 'kysely';
import * as accounts from './0001-accounts.ts';
import * as sessions from './0002-sessions.ts';
import * as emailOutbox from './0003-email-outbox.ts';
import * as rateLimits from './0004-rate-limits.ts';
import * as privacy from './0005-privacy.ts';
import * as emailOutboxLogged from './0006-email-outbox-logged.ts';
import * as rates from './0010-rates.ts';
import * as ledger from './0011-ledger.ts';
import * as reservations from './0012-reservations.ts';
import * as payments from './0013-payments.ts';
import * as reservationCdr from './0014-reservation-cdr.ts';
import * as sip from './0020-sip.ts';
import * as calls from './0021-calls.ts';
import * as abuse from './0022-abuse.ts';
import * as cdrTimeIndex from './0025-cdr-time-index.ts';
import * as cdrAlive from './0026-cdr-alive.ts';
import * as registrationSourceIndex from './0027-registration-source-index.ts';
import * as cdrDialogs from './0028-cdr-dialogs.ts';
import * as registrationInstance from './0029-registration-instance.ts';
import * as cdrMediaServer from './0030-cdr-media-server.ts';
import * as cdrMos from './0031-cdr-mos.ts';
import * as cdrEchoDirection from './0032-cdr-echo-direction.ts';
import * as signalingNodes from './0033-signaling-nodes.ts';
import * as cacheVersions from './0034-cache-versions.ts';
import * as routingVersion from './0035-routing-version.ts';
import * as rateLimitKeyed from './0036-rate-limit-keyed.ts';
import * as topUpReversals from './0037-top-up-reversals.ts';
import * as erasableOperatorText from './0038-erasable-operator-text.ts';
import * as reversalWithdrawn from './0039-reversal-withdrawn.ts';
import * as keyStore from './0040-key-store.ts';
import * as sealedAccounts from './0041-sealed-accounts.ts';
import * as trunkDiallingRules from './0043-trunk-dialling-rules.ts';
import * as trunkRegistration from './0044-trunk-registration.ts';
import * as trunkState from './0045-trunk-state.ts';
import * as trunkTlsSrtp from './0046-trunk-tls-srtp.ts';
import * as cdrBrowserQuality from './0047-cdr-browser-quality.ts';
import * as cdrDestinationCountry from './0048-cdr-destination-country.ts';
import * as dashboardIndexes from './0049-dashboard-indexes.ts';
import * as pushSubscriptions from './0050-push-subscriptions.ts';
import * as operatorHangUp from './0051-operator-hang-up.ts';
import * as cdrTransfers from './0052-cdr-transfers.ts';

export const migrations: Record<string, Migration> = {
  '0001-accounts': accounts,
  '0002-sessions': sessions,
  '0003-email-outbox': emailOutbox,
  '0004-rate-limits': rateLimits,
  '0005-privacy': privacy,
  '0006-email-outbox-logged': emailOutboxLogged,
  '0010-rates': rates,
  '0011-ledger': ledger,
  '0012-reservations': reservations,
  '0013-payments': payments,
  '0014-reservation-cdr': reservationCdr,
  '0020-sip': sip,
  '0021-calls': calls,
  '0022-abuse': abuse,
  '0025-cdr-time-index': cdrTimeIndex,
  '0026-cdr-alive': cdrAlive,
  '0027-registration-source-index': registrationSourceIndex,
  '0028-cdr-dialogs': cdrDialogs,
  '0029-registration-instance': registrationInstance,
  '0030-cdr-media-server': cdrMediaServer,
  '0031-cdr-mos': cdrMos,
  '0032-cdr-echo-direction': cdrEchoDirection,
  '0033-signaling-nodes': signalingNodes,
  '0034-cache-versions': cacheVersions,
  '0035-routing-version': routingVersion,
  '0036-rate-limit-keyed': rateLimitKeyed,
  '0037-top-up-reversals': topUpReversals,
  '0038-erasable-operator-text': erasableOperatorText,
  '0039-reversal-withdrawn': reversalWithdrawn,
  '0040-key-store': keyStore,
  '0041-sealed-accounts': sealedAccounts,
  '0043-trunk-dialling-rules': trunkDiallingRules,
  '0044-trunk-registration': trunkRegistration,
  '0045-trunk-state': trunkState,
  '0046-trunk-tls-srtp': trunkTlsSrtp,
  '0047-cdr-browser-quality': cdrBrowserQuality,
  '0048-cdr-destination-country': cdrDestinationCountry,
  '0049-dashboard-indexes': dashboardIndexes,
  '0050-push-subscriptions': pushSubscriptions,
  '0051-operator-hang-up': operatorHangUp,
  '0052-cdr-transfers': cdrTransfers,
};
