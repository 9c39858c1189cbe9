/**
 * Phone numbers (DIDs) the operator holds from carriers, and which account each rings. An account's first number
 * is also its outbound caller ID (firstDidOf).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, DidsTable } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { isE164, type E164 } from '../numbers.ts';
import { CallAdminError, isForeignKeyViolation, isUniqueViolation } from './call-admin-error.ts';

export type Did = Selectable<DidsTable>;

function checked(e164: string): string {
  if (!isE164(e164)) throw new CallAdminError('invalid', `${e164} is not an E.164 number (+ and 7-15 digits)`);
  return e164;
}

async function assigning<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new CallAdminError('not_found', 'no such account');
    throw error;
  }
}

/** @example await addDid(db, operatorId, '+14155550123', accountId); */
export async function addDid(db: Kysely<Database>, actorAccountId: string | null, e164: string, accountId: string | null): Promise<Did> {
  const number = checked(e164);
  const row = await assigning(async () => {
    try {
      return await db.insertInto('dids').values({ e164: number, account_id: accountId }).returningAll().executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) throw new CallAdminError('conflict', `${number} is already listed`);
      throw error;
    }
  });
  await recordAudit(db, { action: 'calls.did_added', actorAccountId, subjectAccountId: accountId, detail: { assigned: accountId !== null } });
  return row;
}

/** Points a number at another account, or at none (it then answers 404 to carriers). */
export async function assignDid(db: Kysely<Database>, actorAccountId: string | null, e164: string, accountId: string | null): Promise<Did> {
  const number = checked(e164);
  const row = await assigning(() => db.updateTable('dids').set({ account_id: accountId }).where('e164', '=', number).returningAll().executeTakeFirst());
  if (row === undefined) throw new CallAdminError('not_found', `${number} is not listed`);
  await recordAudit(db, { action: 'calls.did_assigned', actorAccountId, subjectAccountId: accountId, detail: { assigned: accountId !== null } });
  return row;
}

export async function removeDid(db: Kysely<Database>, actorAccountId: string | null, e164: string): Promise<void> {
  const number = checked(e164);
  const row = await db.deleteFrom('dids').where('e164', '=', number).returning('account_id').executeTakeFirst();
  if (row === undefined) throw new CallAdminError('not_found', `${number} is not listed`);
  await recordAudit(db, { action: 'calls.did_removed', actorAccountId, subjectAccountId: row.account_id });
}

export async function listDids(db: Kysely<Database>, filter: { accountId?: string } = {}): Promise<Did[]> {
  let query = db.selectFrom('dids').selectAll();
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  return query.orderBy('e164').execute();
}

/** The account a number we host rings; null when it is not listed or assigned to nobody. */
export async function didOwner(db: Kysely<Database>, e164: E164): Promise<string | null> {
  const row = await db.selectFrom('dids').select('account_id').where('e164', '=', e164).executeTakeFirst();
  return row?.account_id ?? null;
}

/** An account's outbound caller ID: its first number, if it owns any. */
export async function firstDidOf(db: Kysely<Database>, accountId: string): Promise<string | undefined> {
  const row = await db.selectFrom('dids').select('e164').where('account_id', '=', accountId).orderBy('e164').executeTakeFirst();
  return row?.e164;
}
