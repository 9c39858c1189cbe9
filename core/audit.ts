/** Writes to audit_events: who did what to which account. Detail holds counts and ids, never secrets. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * The detail key for an operator's own words about the subject (why an adjustment, a refund, a suspension or its
 * lift, an export). They may name the person, so erasing the subject clears it from every event an operator (an
 * actor other than the subject) recorded about them (core/privacy/sources/audit-events.ts). In events without such
 * an actor the same key holds a code (`bad_password`, `spend-spike`) and stays.
 */
export const OPERATOR_TEXT_KEY = 'reason';

export interface AuditEntry {
  readonly action: string;
  readonly actorAccountId?: string | null;
  readonly subjectAccountId?: string | null;
  readonly detail?: Record<string, unknown>;
}

/**
 * @example
 * await recordAudit(trx, { action: 'privacy.export', actorAccountId: id, subjectAccountId: id, detail: { tables: 5 } });
 */
export async function recordAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      action: entry.action,
      actor_account_id: entry.actorAccountId ?? null,
      subject_account_id: entry.subjectAccountId ?? null,
      detail: entry.detail ?? {},
    })
    .execute();
}
