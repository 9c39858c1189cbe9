/** `<account>` on the command line: an account's id, or the e-mail address it signs in with. */
import { accountByEmail, requireAccount } from '../core/accounts/accounts.ts';
import { AccountError } from '../core/accounts/errors.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './output.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ACCOUNT_HELP = "the account's id, or the e-mail address it signs in with";

/** The account's id; throws AccountError `no_such_account` when there is none (exit code 1). */
export async function accountId(context: CliContext, text: string): Promise<string> {
  if (UUID.test(text)) {
    await requireAccount(context.db, text.toLowerCase());
    return text.toLowerCase();
  }
  if (!text.includes('@')) throw new UsageError(`account: expected an account id or an e-mail address, got ${JSON.stringify(text)}`);
  // Addresses are found by their keyed hash (core/accounts/email-address.ts), so the vault's key is needed.
  const account = await accountByEmail(context.db, context.vault, text);
  if (account === undefined) throw new AccountError('no_such_account', 'account: no account has that e-mail address');
  return account.id;
}
