/** `dialo dids ...`: phone numbers and the accounts they ring (core/calls/dids.ts), as the admin API. */
import type { Command } from 'commander';
import { didDto } from '../../api/routes/admin-calls.ts';
import { addDid, assignDid, listDids } from '../../core/calls/dids.ts';
import { ACCOUNT_HELP, accountId } from '../account-argument.ts';
import { COMMAND_LINE, withDatabase, type CliContext } from '../context.ts';
import { print } from '../output.ts';

const shown = didDto;
const line = (did: ReturnType<typeof shown>) => `${did.e164}  ${did.accountId ?? '(unassigned)'}`;
const E164_HELP = 'the number in E.164, e.g. +14155550100';

/** `none` unassigns; anything else names an account. */
const owner = (context: CliContext, account: string | undefined) =>
  account === undefined || account === 'none' ? Promise.resolve(null) : accountId(context, account);

export function didCommands(program: Command): void {
  const dids = program.command('dids').description('phone numbers (DIDs) and the accounts they ring');

  dids
    .command('add')
    .description('a number from a carrier, optionally on an account; audited')
    .argument('<e164>', E164_HELP)
    .option('--account <account>', ACCOUNT_HELP)
    .action((e164: string, options: { account?: string }, command: Command) =>
      withDatabase(async (context) => {
        const did = await addDid(context.db, COMMAND_LINE, e164, await owner(context, options.account));
        print(command, shown(did), line);
      }),
    );

  dids
    .command('assign')
    .description('point a number at an account, or at none; audited')
    .argument('<e164>', E164_HELP)
    .argument('<account>', `${ACCOUNT_HELP}, or none`)
    .action((e164: string, account: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const did = await assignDid(context.db, COMMAND_LINE, e164, await owner(context, account));
        print(command, shown(did), line);
      }),
    );

  dids
    .command('list')
    .description('numbers, with the account each rings')
    .option('--account <account>', ACCOUNT_HELP)
    .action((options: { account?: string }, command: Command) =>
      withDatabase(async (context) => {
        const filter = options.account === undefined ? {} : { accountId: await accountId(context, options.account) };
        const all = (await listDids(context.db, filter)).map(shown);
        print(command, all, (them) => them.map(line));
      }),
    );
}
