/**
 * Telephony data: SIP credentials and registrations (erased: they only serve a live account), numbers
 * (released back to the operator), and call records (numbers de-identified with a keyed hash on erasure and
 * after the call-detail window; the de-identified rows, kept for billing, go after the de-identified window).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { AccountDataSource, PrivacyTools } from '../data-source.ts';
import { DEIDENTIFIED } from '../../calls/cdr.ts';
import { CALL_RECORD_COLUMNS, openCallRecords } from '../../calls/history.ts';

export const sipCredentialsSource: AccountDataSource = {
  table: 'sip_credentials',
  holds: 'SIP usernames for your desk phones (the password is kept only as digests and is not exported)',
  export: (db, accountId) =>
    db.selectFrom('sip_credentials').select(['username', 'realm', 'created_at', 'updated_at']).where('account_id', '=', accountId).execute(),
  async erase(db, accountId) {
    return Number((await db.deleteFrom('sip_credentials').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  },
};

export const registrationsSource: AccountDataSource = {
  table: 'registrations',
  holds: 'devices registered to receive your calls: contact address, IP address and port, user agent, expiry',
  export: (db, accountId) =>
    db
      .selectFrom('registrations')
      .select(['contact', 'transport', 'source_address', 'source_port', 'user_agent', 'expires_at', 'created_at'])
      .where('account_id', '=', accountId)
      .execute(),
  async erase(db, accountId) {
    return Number((await db.deleteFrom('registrations').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  },
  async sweep(db) {
    return Number(
      (
        await db
          .deleteFrom('registrations')
          .where('expires_at', '<=', sql<Date>`now()`)
          .executeTakeFirst()
      ).numDeletedRows,
    );
  },
};

export const didsSource: AccountDataSource = {
  table: 'dids',
  holds: 'phone numbers assigned to you',
  export: (db, accountId) => db.selectFrom('dids').select(['e164', 'created_at']).where('account_id', '=', accountId).execute(),
  async erase(db, accountId) {
    return Number((await db.updateTable('dids').set({ account_id: null }).where('account_id', '=', accountId).executeTakeFirst()).numUpdatedRows);
  },
};

function hashed(value: string | null, tools: PrivacyTools): string | null {
  return value === null || value.startsWith(DEIDENTIFIED) ? value : DEIDENTIFIED + tools.deidentify(value);
}

/** The hash is of the plain number (opened first: a record's numbers are sealed), so de-identified records still join. */
async function deidentifyNumbers(
  db: Kysely<Database>,
  sealed: readonly { id: string; from_number: string | null; to_number: string | null }[],
  tools: PrivacyTools,
  alsoCallId: boolean,
) {
  for (const row of await openCallRecords(db, tools.vault, sealed)) {
    await db
      .updateTable('cdrs')
      .set({
        from_number: hashed(row.from_number, tools),
        to_number: hashed(row.to_number, tools),
        ...(alsoCallId ? { sip_call_id: DEIDENTIFIED + tools.deidentify(row.id), caller_dialog: null, callee_dialog: null } : {}),
      })
      .where('id', '=', row.id)
      .execute();
  }
}

export const cdrsSource: AccountDataSource = {
  table: 'cdrs',
  holds: 'your call records: numbers, times, duration, outcome, cost, and how each call sounded to your browser',
  export: (db, accountId) => db.selectFrom('cdrs').select(CALL_RECORD_COLUMNS).where('account_id', '=', accountId).orderBy('started_at').execute(),
  // Billing keeps the record; the numbers in it become keyed hashes (still countable, no longer readable).
  async erase(db, accountId, tools) {
    const rows = await db.selectFrom('cdrs').select(['id', 'from_number', 'to_number']).where('account_id', '=', accountId).execute();
    await deidentifyNumbers(db, rows, tools, true);
    return rows.length;
  },
  async sweep(db, windows, tools) {
    const detailCutoff = new Date(Date.now() - windows.callDetailDays * 86_400_000);
    const old = await db
      .selectFrom('cdrs')
      .select(['id', 'from_number', 'to_number'])
      .where('started_at', '<', detailCutoff)
      .where((eb) => eb.or([eb('from_number', 'not like', `${DEIDENTIFIED}%`), eb('to_number', 'not like', `${DEIDENTIFIED}%`)]))
      .limit(1000)
      .execute();
    await deidentifyNumbers(db, old, tools, false);
    const keptCutoff = new Date(Date.now() - windows.deidentifiedYears * 365 * 86_400_000);
    const deleted = await db.deleteFrom('cdrs').where('started_at', '<', keptCutoff).executeTakeFirst();
    return old.length + Number(deleted.numDeletedRows);
  },
};
