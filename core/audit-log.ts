/**
 * The audit trail as operators read it (GET /admin/audit): newest first, a keyset page at a time, filtered by an
 * account (what it did or what was done to it), an action and a time range. Operators' reasons inside `detail` are
 * sealed under the subject account's key (core/audit.ts OPERATOR_TEXT_KEY): they are opened for the reader, null once
 * that account is erased; so are the accounts' addresses.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { isSealed, type Vault } from './privacy/vault.ts';

export interface AuditFilter {
  /** Events by this account or about it. */
  readonly accountId?: string;
  readonly action?: string;
  /** occurred_at in [from, to). */
  readonly from?: Date;
  readonly to?: Date;
}

/** Where a page ended: the last event's time as the database holds it (microseconds, which a Date would cut) and id. */
export interface AuditCursor {
  readonly occurredAt: string;
  readonly id: number;
}

export interface AuditLogEvent {
  readonly id: number;
  readonly occurredAt: Date;
  readonly action: string;
  readonly actor: { readonly id: string; readonly email: string | null } | null;
  readonly subject: { readonly id: string; readonly email: string | null } | null;
  readonly detail: Record<string, unknown>;
}

/**
 * @example
 * const first = await auditLog(db, vault, { action: 'calls.hang_up_requested' }, { limit: 50 });
 * const more = first.next && (await auditLog(db, vault, filter, { limit: 50, before: first.next }));
 */
export async function auditLog(
  db: Kysely<Database>,
  vault: Vault,
  filter: AuditFilter,
  page: { readonly limit: number; readonly before?: AuditCursor },
): Promise<{ events: AuditLogEvent[]; next: AuditCursor | null }> {
  const { accountId, action, from, to } = filter;
  const before = page.before;
  const rows = await db
    .selectFrom('audit_events')
    .leftJoin('accounts as actor', 'actor.id', 'audit_events.actor_account_id')
    .leftJoin('accounts as subject', 'subject.id', 'audit_events.subject_account_id')
    .select([
      'audit_events.id',
      'audit_events.occurred_at',
      sql<string>`audit_events.occurred_at::text`.as('occurred_key'),
      'audit_events.action',
      'audit_events.actor_account_id',
      'actor.email as actor_email',
      'audit_events.subject_account_id',
      'subject.email as subject_email',
      'audit_events.detail',
    ])
    .$if(accountId !== undefined, (query) =>
      query.where((eb) => eb.or([eb('audit_events.subject_account_id', '=', accountId!), eb('audit_events.actor_account_id', '=', accountId!)])),
    )
    .$if(action !== undefined, (query) => query.where('audit_events.action', '=', action!))
    .$if(from !== undefined, (query) => query.where('audit_events.occurred_at', '>=', from!))
    .$if(to !== undefined, (query) => query.where('audit_events.occurred_at', '<', to!))
    .$if(before !== undefined, (query) =>
      query.where((eb) =>
        eb(eb.refTuple('audit_events.occurred_at', 'audit_events.id'), '<', eb.tuple(sql<Date>`${before!.occurredAt}::timestamptz`, before!.id)),
      ),
    )
    .orderBy('audit_events.occurred_at', 'desc')
    .orderBy('audit_events.id', 'desc')
    .limit(page.limit)
    .execute();

  // Every sealed text of the page (addresses, reasons) opened in one pass, each account's key read once.
  const sealedOf = (detail: Record<string, unknown>) => Object.values(detail).filter((value): value is string => typeof value === 'string' && isSealed(value));
  const sealed = rows.flatMap((row) => [row.actor_email, row.subject_email, ...sealedOf(row.detail)]);
  const opened = await vault.openAll(db, sealed);
  const plain = new Map(sealed.map((value, i) => [value, opened[i] ?? null]));
  const open = (value: string | null) => (value === null ? null : (plain.get(value) ?? null));
  const events = rows.map((row) => ({
    id: row.id,
    occurredAt: row.occurred_at,
    action: row.action,
    actor: row.actor_account_id === null ? null : { id: row.actor_account_id, email: open(row.actor_email) },
    subject: row.subject_account_id === null ? null : { id: row.subject_account_id, email: open(row.subject_email) },
    detail: Object.fromEntries(Object.entries(row.detail).map(([key, value]) => [key, typeof value === 'string' && isSealed(value) ? open(value) : value])),
  }));
  const last = rows.at(-1);
  return { events, next: rows.length === page.limit && last !== undefined ? { occurredAt: last.occurred_key, id: last.id } : null };
}
