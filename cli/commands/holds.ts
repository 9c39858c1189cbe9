/** `dialo holds ...`: legal holds listed, placed and lifted (core/privacy/legal-holds.ts): while one is active, erasure of the account waits. */
import type { Command } from 'commander';
import { legalHoldDto } from '../../api/routes/admin-privacy.ts';
import { liftLegalHold, listLegalHolds, placeLegalHold } from '../../core/privacy/legal-holds.ts';
import { ACCOUNT_HELP, accountId } from '../account-argument.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { parse, print, UsageError } from '../output.ts';

export function holdCommands(program: Command): void {
  const holds = program.command('holds').description('legal holds: erasure of an account waits while one is active');

  holds
    .command('list')
    .description("the account's holds, active and lifted, newest first")
    .argument('<account>', ACCOUNT_HELP)
    .action((account: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        const listed = (await listLegalHolds(context.db, context.vault, id)).map(legalHoldDto);
        print(command, listed, (all) =>
          all.map((hold) => `${hold.id}  ${hold.liftedAt === null ? 'active' : 'lifted'}  placed ${hold.placedAt}  ${hold.reason ?? '(erased)'}`),
        );
      }),
    );

  holds
    .command('place')
    .description('place a hold; prints its id; audited')
    .argument('<account>', ACCOUNT_HELP)
    .requiredOption('--reason <text>', 'the legal basis, e.g. a case number (kept sealed under the account key)')
    .action((account: string, options: { reason: string }, command: Command) =>
      withDatabase(async (context) => {
        if (options.reason.trim().length < 3) throw new UsageError('--reason: at least 3 characters');
        const id = await accountId(context, account);
        const holdId = await placeLegalHold(context.db, context.vault, COMMAND_LINE, id, options.reason);
        print(command, { accountId: id, holdId }, (it) => it.holdId);
      }),
    );

  holds
    .command('lift')
    .description('lift a hold; audited')
    .argument('<account>', ACCOUNT_HELP)
    .argument('<hold-id>', 'the id `holds place` printed', parse.uuid)
    .action((account: string, holdId: string, _options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const id = await accountId(context, account);
        if (!(await liftLegalHold(context.db, COMMAND_LINE, id, holdId))) throw new Error('hold-id: no active hold with that id on that account');
        print(command, { accountId: id, holdId, lifted: true }, () => `hold ${holdId} lifted`);
      }),
    );
}
