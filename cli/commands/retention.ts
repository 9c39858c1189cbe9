/** `dialo retention run`: one retention run (core/privacy/retention.ts), as the jobs role runs it hourly; audited. */
import type { Command } from 'commander';
import { privacyTools } from '../../core/privacy/deidentify.ts';
import { runRetention } from '../../core/privacy/retention.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { print } from '../output.ts';
import { progress } from '../progress.ts';

export function retentionCommands(program: Command): void {
  const retention = program.command('retention').description('how long data is kept (RETENTION_* settings)');

  retention
    .command('run')
    .description('sweep every kind of data past its window now; prints the rows touched per table')
    .action((_options: unknown, command: Command) =>
      withDatabase(async (context) => {
        const tools = privacyTools(await context.hashKey(), context.vault);
        const bar = progress('retention', 0, 'steps');
        const counts = await runRetention(context.db, context.config.privacy.retention, tools, COMMAND_LINE, undefined, (done, total, rows) =>
          bar.update(done, total, rows),
        ).finally(() => bar.stop());
        print(command, counts, (it) => Object.entries(it).map(([table, rows]) => `${table.padEnd(24)} ${rows}`));
      }),
    );
}
