/** The account row, its sessions and its e-mail tokens. */
import { sql } from 'kysely';
import type { AccountDataSource } from '../data-source.ts';

export const accountsSource: AccountDataSource = {
  table: 'accounts',
  holds: 'your e-mail address, name, role, status and dates (the password is kept only as an argon2id hash and is not exported)',
  export: (db, accountId) =>
    db
      .selectFrom('accounts')
      .select(['id', 'email', 'display_name', 'role', 'status', 'created_at', 'updated_at', 'erasure_requested_at'])
      .where('id', '=', accountId)
      .execute(),
  // The row stays, emptied, so de-identified records that billing must keep still point somewhere.
  async erase(db, accountId) {
    const result = await db
      .updateTable('accounts')
      .set({ email: null, email_hash: null, password_hash: null, display_name: null, status: 'deleted', updated_at: sql`now()` })
      .where('id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },
};

export const sessionsSource: AccountDataSource = {
  table: 'sessions',
  holds: 'when each of your login sessions started and when it expires',
  export: (db, accountId) => db.selectFrom('sessions').select(['id', 'created_at', 'expires_at']).where('account_id', '=', accountId).execute(),
  async erase(db, accountId) {
    return Number((await db.deleteFrom('sessions').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  },
  async sweep(db) {
    return Number(
      (
        await db
          .deleteFrom('sessions')
          .where('expires_at', '<=', sql<Date>`now()`)
          .executeTakeFirst()
      ).numDeletedRows,
    );
  },
};

export const emailTokensSource: AccountDataSource = {
  table: 'email_tokens',
  holds: 'open e-mail links (address verification, password reset); the link secret itself is not kept',
  export: (db, accountId) =>
    db.selectFrom('email_tokens').select(['purpose', 'new_email', 'created_at', 'expires_at']).where('account_id', '=', accountId).execute(),
  async erase(db, accountId) {
    return Number((await db.deleteFrom('email_tokens').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  },
  async sweep(db) {
    return Number(
      (
        await db
          .deleteFrom('email_tokens')
          .where('expires_at', '<=', sql<Date>`now()`)
          .executeTakeFirst()
      ).numDeletedRows,
    );
  },
};
