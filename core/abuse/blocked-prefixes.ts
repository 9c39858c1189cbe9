/**
 * Destination prefixes the operator blocks outright (premium-rate ranges, known fraud ranges): no account
 * may call into them, whatever its limits. Changes are audited with the operator.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { numberPrefixes, type E164 } from '../numbers.ts';

export interface BlockedPrefix {
  /** E.164 digits without "+". */
  readonly prefix: string;
  readonly reason: string;
  readonly createdAt: Date;
}

export class PrefixAlreadyBlockedError extends Error {
  constructor(readonly prefix: string) {
    super(`prefix ${prefix} is already blocked`);
    this.name = 'PrefixAlreadyBlockedError';
  }
}

/** The longest blocked prefix the number falls in, if any. */
export async function blockingPrefix(db: Kysely<Database>, number: E164): Promise<BlockedPrefix | undefined> {
  const row = await db
    .selectFrom('blocked_prefixes')
    .selectAll()
    .where('prefix', 'in', numberPrefixes(number))
    .orderBy('prefix', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { prefix: row.prefix, reason: row.reason, createdAt: row.created_at };
}

export async function listBlockedPrefixes(db: Kysely<Database>): Promise<BlockedPrefix[]> {
  const rows = await db.selectFrom('blocked_prefixes').selectAll().orderBy('prefix').execute();
  return rows.map((row) => ({ prefix: row.prefix, reason: row.reason, createdAt: row.created_at }));
}

/**
 * @example await blockPrefix(db, { prefix: '881', reason: 'satellite, fraud range' }, operatorId);
 * Throws {@link PrefixAlreadyBlockedError} when it is.
 */
export async function blockPrefix(db: Kysely<Database>, entry: { prefix: string; reason: string }, operatorId: string): Promise<BlockedPrefix> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('blocked_prefixes')
      .values(entry)
      .onConflict((conflict) => conflict.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new PrefixAlreadyBlockedError(entry.prefix);
    await recordAudit(trx, { action: 'abuse.prefix_blocked', actorAccountId: operatorId, detail: { prefix: entry.prefix, reason: entry.reason } });
    return { prefix: row.prefix, reason: row.reason, createdAt: row.created_at };
  });
}

/** False when the prefix was not blocked. */
export async function unblockPrefix(db: Kysely<Database>, prefix: string, operatorId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('blocked_prefixes').where('prefix', '=', prefix).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) return false;
    await recordAudit(trx, { action: 'abuse.prefix_unblocked', actorAccountId: operatorId, detail: { prefix } });
    return true;
  });
}
