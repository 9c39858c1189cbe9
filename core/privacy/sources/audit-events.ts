/**
 * The audit trail. Kept on erasure (privacy requests and admin actions must stay provable), with source
 * addresses de-identified and operators' free text about the account cleared; login and failure events go after
 * the usage window, everything about an erased account after the de-identified window.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { OPERATOR_TEXT_KEY } from '../../audit.ts';
import type { AccountDataSource } from '../data-source.ts';

function aboutAccount(db: Kysely<Database>, accountId: string) {
  return db.selectFrom('audit_events').where((eb) => eb.or([eb('subject_account_id', '=', accountId), eb('actor_account_id', '=', accountId)]));
}

export const auditEventsSource: AccountDataSource = {
  table: 'audit_events',
  holds: 'security and privacy events about you: logins, failed logins, changes, requests',
  export: (db, accountId) => aboutAccount(db, accountId).select(['action', 'occurred_at', 'detail']).orderBy('id').execute(),
  async erase(db, accountId, tools) {
    const rows = await aboutAccount(db, accountId)
      .select(['id', 'detail', 'actor_account_id'])
      .where((eb) =>
        eb.or([
          sql<boolean>`detail ? 'ip'`,
          eb.and([eb('subject_account_id', '=', accountId), eb('actor_account_id', '!=', accountId), sql<boolean>`detail ? ${OPERATOR_TEXT_KEY}`]),
        ]),
      )
      .execute();
    let touched = 0;
    for (const row of rows) {
      const detail = { ...row.detail };
      if (typeof detail.ip === 'string' && !detail.ip.startsWith('anon:')) detail.ip = tools.deidentify(detail.ip);
      // An operator's words about the erased account may name the person (only events by someone else carry them).
      if (row.actor_account_id !== null && row.actor_account_id !== accountId && typeof detail[OPERATOR_TEXT_KEY] === 'string')
        detail[OPERATOR_TEXT_KEY] = null;
      if (JSON.stringify(detail) === JSON.stringify(row.detail)) continue;
      await db.updateTable('audit_events').set({ detail }).where('id', '=', row.id).execute();
      touched++;
    }
    return touched;
  },
  async sweep(db, windows) {
    const usage = await db
      .deleteFrom('audit_events')
      .where('action', 'like', 'auth.%')
      .where('occurred_at', '<', sql<Date>`now() - make_interval(days => ${windows.usageDays})`)
      .executeTakeFirst();
    const erased = await db
      .deleteFrom('audit_events')
      .where('subject_account_id', 'in', db.selectFrom('accounts').select('id').where('status', '=', 'deleted'))
      .where('occurred_at', '<', sql<Date>`now() - make_interval(years => ${windows.deidentifiedYears})`)
      .executeTakeFirst();
    return Number(usage.numDeletedRows) + Number(erased.numDeletedRows);
  },
};
