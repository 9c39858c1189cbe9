/** `dialo sip-credentials ...`: desk phones' static SIP credentials (core/accounts/desk-phones.ts), as the admin API. */
import type { Command } from 'commander';
import { addDeskPhone, listDeskPhones, removeDeskPhone, type DeskPhone } from '../../core/accounts/desk-phones.ts';
import { ACCOUNT_HELP, accountId } from '../account-argument.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { print } from '../output.ts';

const shown = (phone: DeskPhone) => ({ ...phone, createdAt: phone.createdAt.toISOString() });

export function sipCredentialCommands(program: Command): void {
  const credentials = program.command('sip-credentials').description("desk phones' SIP credentials (in SIP_REALM)");

  credentials
    .command('add')
    .description('a desk phone on an account; the password is printed this once (only its HA1 is stored); audited')
    .argument('<account>', ACCOUNT_HELP)
    .argument('<username>', 'the SIP user the phone registers as: 3 to 64 letters, digits, dots, dashes or underscores')
    .action((account: string, username: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        const { password, ...phone } = await addDeskPhone(context.db, COMMAND_LINE, { accountId: id, username, realm: context.realm });
        print(command, { ...shown(phone), password }, (it) => [
          `username ${it.username}`,
          `realm    ${it.realm}`,
          `password ${it.password}`,
          '(the password is not stored: note it now)',
        ]);
      }),
    );

  credentials
    .command('list')
    .description('desk phones, by username; no secrets')
    .option('--account <account>', ACCOUNT_HELP)
    .action((options: { account?: string }, command: Command) =>
      withDatabase(async (context) => {
        const filter = options.account === undefined ? {} : { accountId: await accountId(context, options.account) };
        const phones = (await listDeskPhones(context.db, filter)).map(shown);
        print(command, phones, (all) => all.map((phone) => `${phone.username}@${phone.realm}  ${phone.accountId}  ${phone.createdAt}`));
      }),
    );

  credentials
    .command('remove')
    .description('the phone can no longer register or call; audited')
    .argument('<username>', 'the SIP user')
    .action((username: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        await removeDeskPhone(context.db, COMMAND_LINE, username, context.realm);
        print(command, { username, removed: true }, () => `${username} removed`);
      }),
    );
}
