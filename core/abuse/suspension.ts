/**
 * Outbound suspension: while set, the account's outbound calls are refused (403 account-suspended) and those
 * already up are ended by the signaling heartbeat; on-net and incoming calls still ring. Set by pattern detection
 * (abuse-patterns.ts) or by an operator, lifted by an operator; each change is audited, and an automatic one mails
 * the operator in the same transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { inTransaction } from '../../db/transaction.ts';
import { recordAudit } from '../audit.ts';
import { enqueueEmail } from '../email/outbox.ts';
import type { Vault } from '../privacy/vault.ts';

/** Read with the account's limits (call-limits.ts accountLimits). */
export interface Suspension {
  readonly since: Date;
  /** Pattern detection's code, or the operator's words sealed under the account's key (open with the vault to show them). */
  readonly reason: string;
  /** The operator who suspended; null when pattern detection did. */
  readonly by: string | null;
}

/** When outbound calling was last given back, if ever: pattern windows start after it, or it would re-trip at once. */
export async function lastLiftedAt(db: Kysely<Database>, accountId: string): Promise<Date | null> {
  const row = await db.selectFrom('account_call_limits').select('lifted_at').where('account_id', '=', accountId).executeTakeFirst();
  return row?.lifted_at ?? null;
}

/** Which of these accounts have outbound calling suspended now. */
export async function suspendedAmong(db: Kysely<Database>, accountIds: ReadonlySet<string>): Promise<Set<string>> {
  if (accountIds.size === 0) return new Set();
  const rows = await db
    .selectFrom('account_call_limits')
    .select('account_id')
    .where('account_id', 'in', [...accountIds])
    .where('suspended_at', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.account_id));
}

export interface SuspendRequest {
  readonly accountId: string;
  readonly reason: string;
  /** Counts behind the decision, for the audit event and the alert. */
  readonly detail?: Record<string, unknown>;
  /** The operator (null: one at the command line); omitted: pattern detection, and `alertTo` is mailed. */
  readonly operatorId?: string | null;
  readonly alertTo?: string;
  /** Where the account's owner can ask about it; the owner is mailed whoever suspended. */
  readonly contact: string;
}

/**
 * Suspends outbound calling unless it already is; returns whether this call did it (so racing call ends
 * audit and mail once). Runs in the caller's transaction when given one. An operator's reason may name the person:
 * the row and the audit event hold it sealed under the account's key; pattern detection's is a code, kept plain.
 * @example await suspendOutbound(db, vault, { accountId, reason: 'burst-of-short-calls', detail: { destinations: 12 }, alertTo: 'noc@example.org', contact: 'support@example.org' });
 */
export async function suspendOutbound(db: Kysely<Database>, vault: Vault, request: SuspendRequest): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const reason = request.operatorId === undefined ? request.reason : await vault.seal(trx, request.accountId, request.reason);
    const state = { suspended_at: sql<Date>`now()`, suspension_reason: reason, suspended_by: request.operatorId ?? null };
    const changed = await trx
      .insertInto('account_call_limits')
      .values({ account_id: request.accountId, ...state })
      .onConflict((conflict) =>
        conflict
          .column('account_id')
          .doUpdateSet({ ...state, updated_at: sql`now()` })
          .where('account_call_limits.suspended_at', 'is', null),
      )
      .returning('account_id')
      .executeTakeFirst();
    if (changed === undefined) return false;
    const detail = { reason, ...request.detail };
    await recordAudit(trx, { action: 'abuse.outbound_suspended', actorAccountId: request.operatorId ?? null, subjectAccountId: request.accountId, detail });
    if (request.alertTo !== undefined) {
      await enqueueEmail(trx, vault, {
        accountId: request.accountId,
        kind: 'abuse_alert',
        to: request.alertTo,
        subject: `Dialo: outbound calling suspended for account ${request.accountId}`,
        text: [
          `Outbound calling for account ${request.accountId} was suspended automatically: ${request.reason}.`,
          '',
          ...Object.entries(request.detail ?? {}).map(([key, value]) => `${key}: ${String(value)}`),
          '',
          'Check its recent calls; lift the suspension with POST /admin/accounts/<id>/outbound-suspension/lift.',
        ].join('\n'),
      });
    }
    // The owner learns why calls to phone numbers are refused, from us rather than from a wall of 403s.
    const owner = await trx.selectFrom('accounts').select('email').where('id', '=', request.accountId).executeTakeFirst();
    const ownerEmail = await vault.open(trx, owner?.email ?? null);
    if (ownerEmail !== null) {
      await enqueueEmail(trx, vault, {
        accountId: request.accountId,
        kind: 'outbound_suspended',
        to: ownerEmail,
        subject: 'Dialo: calls to phone numbers are paused on your account',
        text: [
          request.operatorId === undefined
            ? 'We paused calls to phone numbers on your account because its calling pattern looked like toll fraud (for example, many very short calls to different numbers, or a sudden jump in spending).'
            : 'The operator paused calls to phone numbers on your account.',
          `Reason: ${request.reason}.`,
          '',
          'Your credit is untouched, and calls between Dialo users still work.',
          `If you did not make these calls, change your password. To have calling restored, write to ${request.contact}.`,
        ].join('\n'),
      });
    }
    return true;
  });
}

/** Gives outbound calling back; false when it was not suspended. Audited with the operator and why (sealed, as in {@link suspendOutbound}). */
export async function liftSuspension(db: Kysely<Database>, vault: Vault, accountId: string, operatorId: string | null, reason: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const lifted = await trx
      .updateTable('account_call_limits')
      .set({ suspended_at: null, suspension_reason: null, suspended_by: null, lifted_at: sql<Date>`now()`, lifted_by: operatorId, updated_at: sql`now()` })
      .where('account_id', '=', accountId)
      .where('suspended_at', 'is not', null)
      .returning('account_id')
      .executeTakeFirst();
    if (lifted === undefined) return false;
    const sealed = await vault.seal(trx, accountId, reason);
    await recordAudit(trx, { action: 'abuse.suspension_lifted', actorAccountId: operatorId, subjectAccountId: accountId, detail: { reason: sealed } });
    return true;
  });
}
