/**
 * Account deletion: the request disables the account and ends its sessions at once; erasure then runs
 * through every data source, unless one of them says it must wait (a legal hold, an open dispute). A
 * paused erasure is resumed by the retention run once nothing blocks it.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { reauthenticate } from '../accounts/password-changes.ts';
import { endAccountSessions } from '../accounts/sessions.ts';
import type { AttemptLimiter } from '../accounts/throttle.ts';
import { recordAudit } from '../audit.ts';
import type { AccountDataSource, PrivacyTools } from './data-source.ts';
import { accountDataSources } from './registry.ts';

export type ErasureOutcome = { readonly status: 'erased'; readonly rows: Record<string, number> } | { readonly status: 'paused'; readonly reasons: string[] };

/**
 * @example
 * const outcome = await requestDeletion(db, limiter, caller.accountId, body.password, tools); // { status: 'erased', rows }
 */
export async function requestDeletion(
  db: Kysely<Database>,
  limiter: AttemptLimiter,
  accountId: string,
  password: string,
  tools: PrivacyTools,
): Promise<ErasureOutcome> {
  await reauthenticate(db, tools.vault, limiter, accountId, password);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ status: 'disabled', erasure_requested_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', accountId)
      .execute();
    const sessions = await endAccountSessions(trx, accountId);
    await recordAudit(trx, {
      action: 'privacy.deletion_requested',
      actorAccountId: accountId,
      subjectAccountId: accountId,
      detail: { sessionsEnded: sessions },
    });
  });
  return eraseAccount(db, accountId, tools);
}

/** Erases the account now, or records why it is paused. Running it again on an erased account changes nothing. */
export async function eraseAccount(
  db: Kysely<Database>,
  accountId: string,
  tools: PrivacyTools,
  sources: readonly AccountDataSource[] = accountDataSources,
): Promise<ErasureOutcome> {
  return db.transaction().execute(async (trx) => {
    const reasons: string[] = [];
    for (const source of sources) {
      const reason = await source.blocksErasure?.(trx, accountId);
      if (reason) reasons.push(reason);
    }
    if (reasons.length > 0) {
      await recordAudit(trx, { action: 'privacy.erasure_paused', subjectAccountId: accountId, detail: { reasons } });
      return { status: 'paused', reasons };
    }
    const rows: Record<string, number> = {};
    for (const source of sources) rows[source.table] = await source.erase(trx, accountId, tools);
    // Last: what the sources kept sealed (and every backup's copy of it) is unreadable once the key is gone.
    const keyDestroyed = await tools.vault.shred(trx, accountId);
    await recordAudit(trx, { action: 'privacy.erased', subjectAccountId: accountId, detail: { rows, keyDestroyed } });
    return { status: 'erased', rows };
  });
}

/** Erases every account whose deletion was requested but paused, where nothing blocks it any more. */
export async function resumePendingErasures(db: Kysely<Database>, tools: PrivacyTools): Promise<number> {
  const pending = await db.selectFrom('accounts').select('id').where('erasure_requested_at', 'is not', null).where('status', '!=', 'deleted').execute();
  let erased = 0;
  for (const { id } of pending) {
    if ((await eraseAccount(db, id, tools)).status === 'erased') erased++;
  }
  return erased;
}
