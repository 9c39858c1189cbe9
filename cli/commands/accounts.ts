/** `dialo accounts ...`: find accounts, make one an operator, suspend or lift its outbound calling, credit it. */
import type { Command } from 'commander';
import { liftSuspension, suspendOutbound } from '../../core/abuse/suspension.ts';
import { accountDto } from '../../api/routes/admin-accounts.ts';
import { getAccountSummary, listAccounts, setAccountRole } from '../../core/accounts/accounts.ts';
import { AccountError } from '../../core/accounts/errors.ts';
import { adjust, balanceOf } from '../../core/billing/ledger.ts';
import { formatDecimal, micros, type Micros } from '../../core/money.ts';
import { ACCOUNT_HELP, accountId } from '../account-argument.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { parse, print } from '../output.ts';

/** As GET /admin/accounts shows an account, so --json reads the same. */
const listing = accountDto;
const line = (account: ReturnType<typeof listing>) => `${account.id}  ${account.role.padEnd(8)}  ${account.status.padEnd(8)}  ${account.email ?? '(erased)'}`;

export function accountCommands(program: Command): void {
  const accounts = program.command('accounts').description('user accounts');

  accounts
    .command('list')
    .description('accounts, oldest first')
    .option('--limit <n>', 'at most this many', parse.integer, 100)
    .option('--offset <n>', 'skip this many first', parse.integer, 0)
    .action((options: { limit: number; offset: number }, command: Command) =>
      withDatabase(async ({ db, vault }) => {
        const found = (await listAccounts(db, vault, options)).map(listing);
        print(command, found, (all) => all.map(line));
      }),
    );

  accounts
    .command('show')
    .description('one account, with its balance')
    .argument('<account>', ACCOUNT_HELP)
    .action((account: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        const summary = await getAccountSummary(context.db, context.vault, id);
        if (summary === undefined) throw new AccountError('no_such_account', 'account: it is erased');
        const balance = await balanceOf(context.db, id);
        const shown = {
          ...listing(summary),
          balance: formatDecimal(balance.balance),
          reserved: formatDecimal(balance.reserved),
          available: formatDecimal(balance.available),
        };
        print(command, shown, (it) => [line(it), `balance ${it.balance} (reserved ${it.reserved}, available ${it.available})`]);
      }),
    );

  accounts
    .command('make-operator')
    .description('give a verified account the operator role (no API route grants it); audited')
    .argument('<account>', ACCOUNT_HELP)
    .action((account: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        const summary = await getAccountSummary(context.db, context.vault, id);
        if (summary?.status !== 'active') throw new AccountError('not_verified', 'account: not a verified account');
        await setAccountRole(context.db, id, 'operator', COMMAND_LINE);
        print(command, { id, role: 'operator' }, () => `${id} is now an operator`);
      }),
    );

  accounts
    .command('suspend')
    .description("suspend the account's outbound calling (the owner is mailed); audited")
    .argument('<account>', ACCOUNT_HELP)
    .requiredOption('--reason <text>', 'why (kept sealed under the account key)')
    .action((account: string, options: { reason: string }, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        const request = { accountId: id, reason: options.reason, operatorId: COMMAND_LINE, contact: context.config.abuse.alertEmail };
        if (!(await suspendOutbound(context.db, context.vault, request))) throw new Error('outbound calling is already suspended');
        print(command, { id, suspended: true }, () => `outbound calling of ${id} is suspended`);
      }),
    );

  accounts
    .command('lift')
    .description("give back the account's outbound calling; audited")
    .argument('<account>', ACCOUNT_HELP)
    .requiredOption('--reason <text>', 'why (kept sealed under the account key)')
    .action((account: string, options: { reason: string }, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        if (!(await liftSuspension(context.db, context.vault, id, COMMAND_LINE, options.reason))) throw new Error('outbound calling is not suspended');
        print(command, { id, suspended: false }, () => `outbound calling of ${id} is back`);
      }),
    );

  accounts
    .command('credit')
    .description('a manual adjustment of the balance (negative to debit), with a reason; audited')
    .argument('<account>', ACCOUNT_HELP)
    .argument('<amount>', 'currency units, e.g. 5 or -2.50', parse.amount)
    .requiredOption('--reason <text>', 'why (shown to the user in their history)')
    .action((account: string, amount: Micros, options: { reason: string }, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        const entry = await adjust(context.db, context.vault, { accountId: id, amount, reason: options.reason, actorAccountId: COMMAND_LINE });
        const balance = await balanceOf(context.db, id);
        const shown = { entryId: entry.id, amount: formatDecimal(micros(entry.amount)), balance: formatDecimal(balance.balance) };
        print(command, shown, (it) => `adjusted by ${it.amount}: balance ${it.balance}`);
      }),
    );
}
