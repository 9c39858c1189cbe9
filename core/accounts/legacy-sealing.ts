/**
 * Rows written before accounts and mail were sealed (migration 0041) hold addresses, names and mail in plain text,
 * and accounts no `email_hash` to be found by. A migration cannot reach the master key, so the app does this at boot,
 * before any role starts: in batches (one transaction each), and idempotent, since a row once sealed is not picked
 * again.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { isSealed, type Vault } from '../privacy/vault.ts';
import { emailHash } from './email-address.ts';

const PLAIN = 'v1.%';

export interface LegacySealing {
  readonly accounts: number;
  readonly tokens: number;
  readonly mails: number;
}

/**
 * Seals every plain address, name, pending new address and account mail, each under its account's key, and fills
 * the accounts' lookup hashes. Returns how many rows of each it changed.
 * @example
 * const { accounts, tokens, mails } = await sealLegacyAccounts(db, vault); // { accounts: 0, ... } once done
 */
/**
 * Runs `seal` on each row `next` finds, a batch per transaction, until a batch comes back empty. `next` gets the last
 * row of the batch before, to page on where a row may be picked again (an address whose key is gone gets no hash).
 */
async function inBatches<Row>(
  db: Kysely<Database>,
  next: (last: Row | undefined) => Promise<Row[]>,
  seal: (trx: Kysely<Database>, row: Row) => Promise<void>,
): Promise<number> {
  let count = 0;
  for (let rows = await next(undefined); rows.length > 0; rows = await next(rows[rows.length - 1])) {
    await db.transaction().execute(async (trx) => {
      for (const row of rows) await seal(trx, row);
    });
    count += rows.length;
  }
  return count;
}

/**
 * Seals every plain address, name, pending new address and account mail, each under its account's key, and fills
 * the accounts' lookup hashes. Returns how many rows of each it changed.
 * @example
 * const { accounts, tokens, mails } = await sealLegacyAccounts(db, vault); // { accounts: 0, ... } once done
 */
export async function sealLegacyAccounts(db: Kysely<Database>, vault: Vault, batchSize = 200): Promise<LegacySealing> {
  const sealPlain = (trx: Kysely<Database>, accountId: string, value: string) => (isSealed(value) ? value : vault.seal(trx, accountId, value));

  const accounts = await inBatches(
    db,
    (last: { id: string } | undefined) =>
      db
        .selectFrom('accounts')
        .select(['id', 'email', 'display_name'])
        .where('id', '>', last?.id ?? '00000000-0000-0000-0000-000000000000')
        .where((eb) =>
          eb.or([
            eb.and([eb('email', 'is not', null), eb.or([eb('email_hash', 'is', null), eb('email', 'not like', PLAIN)])]),
            eb('display_name', 'not like', PLAIN),
          ]),
        )
        .orderBy('id')
        .limit(batchSize)
        .execute(),
    async (trx, row) => {
      const email = await vault.open(trx, row.email);
      await trx
        .updateTable('accounts')
        .set({
          email: row.email === null ? null : await sealPlain(trx, row.id, row.email),
          email_hash: email === null ? null : emailHash(vault, email),
          display_name: row.display_name === null ? null : await sealPlain(trx, row.id, row.display_name),
        })
        .where('id', '=', row.id)
        .execute();
    },
  );

  const tokens = await inBatches(
    db,
    () => db.selectFrom('email_tokens').select(['id', 'account_id', 'new_email']).where('new_email', 'not like', PLAIN).limit(batchSize).execute(),
    async (trx, row) => {
      await trx
        .updateTable('email_tokens')
        .set({ new_email: await sealPlain(trx, row.account_id, row.new_email!) })
        .where('id', '=', row.id)
        .execute();
    },
  );

  // A mail whose address is plain was queued before sealing (every account mail since has a sealed address).
  const mails = await inBatches(
    db,
    () =>
      db
        .selectFrom('email_outbox')
        .select(['id', 'account_id', 'to_address', 'subject', 'body_text'])
        .where('account_id', 'is not', null)
        .where('to_address', 'not like', PLAIN)
        .orderBy('id')
        .limit(batchSize)
        .execute(),
    async (trx, row) => {
      const accountId = row.account_id!;
      await trx
        .updateTable('email_outbox')
        .set({
          to_address: await sealPlain(trx, accountId, row.to_address),
          subject: await sealPlain(trx, accountId, row.subject),
          body_text: await sealPlain(trx, accountId, row.body_text),
        })
        .where('id', '=', row.id)
        .execute();
    },
  );
  return { accounts, tokens, mails };
}
