/** One-time tokens sent by e-mail (address verification, password reset): issued, then consumed once. */
import { sql, type Kysely } from 'kysely';
import type { Database, EmailToken, EmailTokenPurpose } from '../../db/schema.ts';
import { AccountError } from './errors.ts';
import { digestToken, newSecretToken } from './secret-tokens.ts';

/** An account id no account has (random ids are version 4): aims the statements of a request at nobody. */
export const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

export const TOKEN_LIFETIME_HOURS: Record<EmailTokenPurpose, number> = { verify_email: 48, reset_password: 1 };

/**
 * Issues a token, replacing any earlier one of the same purpose (only the newest link works). For an id no account
 * has ({@link NO_ACCOUNT}) it runs the same statements and writes nothing: a request about an address without an
 * account takes the same work as one with.
 * @example
 * const token = await issueEmailToken(trx, accountId, 'reset_password');
 */
export async function issueEmailToken(db: Kysely<Database>, accountId: string, purpose: EmailTokenPurpose, newEmail: string | null = null): Promise<string> {
  await db.deleteFrom('email_tokens').where('account_id', '=', accountId).where('purpose', '=', purpose).execute();
  const { token, hash } = newSecretToken();
  await db
    .insertInto('email_tokens')
    .columns(['account_id', 'purpose', 'token_hash', 'new_email', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('accounts')
        .select([
          'id',
          eb.val(purpose).as('purpose'),
          eb.val(hash).as('token_hash'),
          eb.val(newEmail).as('new_email'),
          sql<Date>`now() + make_interval(hours => ${TOKEN_LIFETIME_HOURS[purpose]})`.as('expires_at'),
        ])
        .where('id', '=', accountId),
    )
    .execute();
  return token;
}

/** Deletes and returns the token's row if it is valid for `purpose`; else throws `invalid_token`. */
export async function consumeEmailToken(db: Kysely<Database>, token: string, purpose: EmailTokenPurpose): Promise<EmailToken> {
  const row = await db
    .deleteFrom('email_tokens')
    .where('token_hash', '=', digestToken(token))
    .where('purpose', '=', purpose)
    .where('expires_at', '>', sql<Date>`now()`)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) {
    throw new AccountError('invalid_token', 'this link is invalid or has expired: ask for a new one');
  }
  return row;
}
