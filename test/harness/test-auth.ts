/**
 * A test-only Authenticator: the caller is the account named in the `x-test-account` header (its role
 * read from the database). Stands in for the session plugin, which is built on another branch.
 */
import type { Kysely } from 'kysely';
import type { Authenticator } from '../../api/plugins/auth.ts';
import type { Database } from '../../db/schema.ts';

export const TEST_ACCOUNT_HEADER = 'x-test-account';

export function headerAuthenticator(db: Kysely<Database>): Authenticator {
  return async (request) => {
    const accountId = request.headers[TEST_ACCOUNT_HEADER];
    if (typeof accountId !== 'string') return null;
    const account = await db.selectFrom('accounts').select(['id', 'role']).where('id', '=', accountId).executeTakeFirst();
    return account === undefined ? null : { accountId: account.id, role: account.role, sessionId: 'test-session' };
  };
}

/** Headers that sign a request in as `accountId`. */
export const as = (accountId: string) => ({ [TEST_ACCOUNT_HEADER]: accountId });
