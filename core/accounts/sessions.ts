/** Server-side sessions: a random token in a cookie, its digest here. Deleting the row revokes it at once. */
import { sql, type Kysely } from 'kysely';
import type { AccountRole, Database } from '../../db/schema.ts';
import { digestToken, newSecretToken } from './secret-tokens.ts';

export interface NewSession {
  readonly sessionId: string;
  /** The cookie value; the database only has its digest. */
  readonly token: string;
  readonly expiresAt: Date;
}

export interface SessionCaller {
  readonly sessionId: string;
  readonly accountId: string;
  readonly role: AccountRole;
}

/**
 * @example
 * const { token, expiresAt } = await createSession(db, accountId, 14 * 24 * 3600_000);
 */
export async function createSession(db: Kysely<Database>, accountId: string, ttlMs: number): Promise<NewSession> {
  const { token, hash } = newSecretToken();
  const row = await db
    .insertInto('sessions')
    .values({ account_id: accountId, token_hash: hash, expires_at: sql<Date>`now() + make_interval(secs => ${ttlMs / 1000})` })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { sessionId: row.id, token, expiresAt: row.expires_at };
}

/** The live session for a cookie token: unexpired, and its account active. */
export async function findSession(db: Kysely<Database>, token: string): Promise<SessionCaller | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select(['sessions.id as sessionId', 'accounts.id as accountId', 'accounts.role as role'])
    .where('sessions.token_hash', '=', digestToken(token))
    .where('sessions.expires_at', '>', sql<Date>`now()`)
    .where('accounts.status', '=', 'active')
    .executeTakeFirst();
}

export async function endSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Ends every session of the account, but `keepSessionId` if given; returns how many ended. */
export async function endAccountSessions(db: Kysely<Database>, accountId: string, keepSessionId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('account_id', '=', accountId);
  if (keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
