/**
 * Static SIP credentials for desk phones, as an operator provisions them (admin API and the `dialo` CLI): the
 * password is generated here, handed back once, and only its HA1s are stored (core/accounts/sip-credentials.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { CallAdminError, isUniqueViolation } from '../calls/call-admin-error.ts';
import { requireAccount } from './accounts.ts';
import { setStaticSipCredential } from './sip-credentials.ts';

export interface DeskPhone {
  readonly accountId: string;
  readonly username: string;
  readonly realm: string;
  readonly createdAt: Date;
}

/**
 * Characters a SIP URI user part takes unescaped, and no `<uuid>.<digits>` form: that is a browser username, which
 * the registrar reads as one (it would never find the stored HA1s).
 */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
const BROWSER_LIKE = /^[0-9a-f-]{36}\.\d+$/i;

/** 24 URL-safe characters (144 bits): typed into a phone's web page once, so long rather than memorable. */
const newPassword = () => randomBytes(18).toString('base64url');

/**
 * Throws CallAdminError `invalid` (a bad username), `conflict` (taken in that realm) or AccountError
 * `no_such_account`.
 * @example
 * const { password } = await addDeskPhone(db, operatorId, { accountId, username: 'frontdesk', realm: 'dialo.example.org' });
 */
export async function addDeskPhone(
  db: Kysely<Database>,
  actorAccountId: string | null,
  input: { accountId: string; username: string; realm: string },
): Promise<DeskPhone & { readonly password: string }> {
  if (!USERNAME.test(input.username) || BROWSER_LIKE.test(input.username)) {
    throw new CallAdminError('invalid', 'username: 3 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  }
  await requireAccount(db, input.accountId);
  const taken = await db.selectFrom('sip_credentials').select('id').where('username', '=', input.username).where('realm', '=', input.realm).executeTakeFirst();
  if (taken !== undefined) throw new CallAdminError('conflict', `username ${input.username} is already taken`);
  const password = newPassword();
  return db.transaction().execute(async (trx) => {
    try {
      await setStaticSipCredential(trx, { ...input, password });
    } catch (error) {
      if (isUniqueViolation(error)) throw new CallAdminError('conflict', `username ${input.username} is already taken`);
      throw error;
    }
    await recordAudit(trx, { action: 'sip.desk_phone_added', actorAccountId, subjectAccountId: input.accountId, detail: { username: input.username } });
    const row = await trx
      .selectFrom('sip_credentials')
      .select('created_at')
      .where('username', '=', input.username)
      .where('realm', '=', input.realm)
      .executeTakeFirstOrThrow();
    return { accountId: input.accountId, username: input.username, realm: input.realm, createdAt: row.created_at, password };
  });
}

/** Every desk phone, or one account's, by username; never a secret (only HA1s are stored, and none is shown). */
export async function listDeskPhones(db: Kysely<Database>, filter: { accountId?: string } = {}): Promise<DeskPhone[]> {
  let query = db.selectFrom('sip_credentials').select(['account_id', 'username', 'realm', 'created_at']);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  const rows = await query.orderBy('username').orderBy('realm').execute();
  return rows.map((row) => ({ accountId: row.account_id, username: row.username, realm: row.realm, createdAt: row.created_at }));
}

/** The phone stops registering at once (the credential cache's version counter moves); throws `not_found`. */
export async function removeDeskPhone(db: Kysely<Database>, actorAccountId: string | null, username: string, realm: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('sip_credentials').where('username', '=', username).where('realm', '=', realm).returning('account_id').executeTakeFirst();
    if (row === undefined) throw new CallAdminError('not_found', `no desk phone ${username}`);
    await recordAudit(trx, { action: 'sip.desk_phone_removed', actorAccountId, subjectAccountId: row.account_id, detail: { username } });
  });
}
