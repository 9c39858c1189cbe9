/**
 * The audit trail. Kept on erasure (privacy requests and admin actions must stay provable), with source
 * addresses de-identified; login and failure events go after the usage window, everything about an
 * erased account after the de-identified window.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { AccountDataSource } from '../data-source.ts';

function aboutAccount(db: Kysely<Database>, accountId: string) {
  return db.selectFrom('audit_events').where((eb) => eb.or([eb('subject_account_id', '=', accountId), eb('actor_account_id', '=', accountId)]));
}

export const auditEventsSource: AccountDataSource = {
  table: 'audit_events',
  holds: 'security and privacy events about you: logins, failed logins, changes, requests',
  export: (db, accountId) => aboutAccount(db, accountId).select(['action', 'occurred_at', 'detail']).orderBy('id').execute(),
  async erase(db, accountId, tools) {
    const withIp = await aboutAccount(db, accountId)
      .select(['id', 'detail'])
      .where(sql<boolean>`detail ? 'ip'`)
      .execute();
    for (const row of withIp) {
      const ip = String(row.detail.ip);
      if (ip.startsWith('anon:')) continue;
      await db
        .updateTable('audit_events')
        .set({ detail: { ...row.detail, ip: tools.deidentify(ip) } })
        .where('id', '=', row.id)
        .execute();
    }
    return withIp.length;
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
