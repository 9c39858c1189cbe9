/** Legal holds placed and lifted by operators: while one is active, erasure of the account waits. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { requireAccount } from '../accounts/accounts.ts';
import { recordAudit } from '../audit.ts';
import type { Vault } from './vault.ts';

/**
 * Throws AccountError `no_such_account` when there is no such account. The reason may name the person: sealed under
 * the account's key (core/privacy/vault.ts).
 * @example
 * const holdId = await placeLegalHold(db, vault, operatorId, accountId, 'court order 2026/118');
 */
export async function placeLegalHold(db: Kysely<Database>, vault: Vault, operatorId: string | null, accountId: string, reason: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await requireAccount(trx, accountId);
    const sealed = await vault.seal(trx, accountId, reason);
    const hold = await trx
      .insertInto('legal_holds')
      .values({ account_id: accountId, reason: sealed, placed_by: operatorId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, { action: 'admin.legal_hold_placed', actorAccountId: operatorId, subjectAccountId: accountId, detail: { holdId: hold.id } });
    return hold.id;
  });
}

/** Lifts an active hold; false when there is no such active hold on that account. */
export async function liftLegalHold(db: Kysely<Database>, operatorId: string | null, accountId: string, holdId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const lifted = await trx
      .updateTable('legal_holds')
      .set({ lifted_at: sql`now()`, lifted_by: operatorId })
      .where('id', '=', holdId)
      .where('account_id', '=', accountId)
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    if (Number(lifted.numUpdatedRows) === 0) return false;
    await recordAudit(trx, { action: 'admin.legal_hold_lifted', actorAccountId: operatorId, subjectAccountId: accountId, detail: { holdId } });
    return true;
  });
}

/** A hold as an operator reads it: the reason opened (null once the account is erased). */
export interface LegalHold {
  readonly id: string;
  readonly reason: string | null;
  readonly placedBy: string | null;
  readonly placedAt: Date;
  readonly liftedBy: string | null;
  readonly liftedAt: Date | null;
}

/**
 * The account's holds, active and lifted, newest first. Throws AccountError `no_such_account` when there is no such account.
 * @example const active = (await listLegalHolds(db, vault, accountId)).filter((hold) => hold.liftedAt === null);
 */
export async function listLegalHolds(db: Kysely<Database>, vault: Vault, accountId: string): Promise<LegalHold[]> {
  await requireAccount(db, accountId);
  const rows = await db
    .selectFrom('legal_holds')
    .select(['id', 'reason', 'placed_by', 'placed_at', 'lifted_by', 'lifted_at'])
    .where('account_id', '=', accountId)
    .orderBy('placed_at', 'desc')
    .orderBy('id')
    .execute();
  const reasons = await vault.openAll(
    db,
    rows.map((row) => row.reason),
  );
  return rows.map((row, i) => ({
    id: row.id,
    reason: reasons[i] ?? null,
    placedBy: row.placed_by,
    placedAt: row.placed_at,
    liftedBy: row.lifted_by,
    liftedAt: row.lifted_at,
  }));
}
