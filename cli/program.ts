/** The `dialo` command tree (commander): every command and its options, without running any (cli/dialo.ts runs it). */
import { Command } from 'commander';
import { accountCommands } from './commands/accounts.ts';
import { cdrCommands } from './commands/cdrs.ts';
import { didCommands } from './commands/dids.ts';
import { holdCommands } from './commands/holds.ts';
import { migrateCommand } from './commands/migrate.ts';
import { policyCommands } from './commands/policy.ts';
import { rateCommands } from './commands/rates.ts';
import { retentionCommands } from './commands/retention.ts';
import { sipCredentialCommands } from './commands/sip-credentials.ts';
import { trunkCommands } from './commands/trunks.ts';

export function buildProgram(): Command {
  const program = new Command('dialo')
    .description("Dialo's operator commands, on the database DATABASE_URL names (else the embedded one under ./data)")
    .option('--json', 'print JSON for scripts instead of lines for people')
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 failed, 2 bad usage. Export, import and retention draw a progress bar (rows/s, ETA) on stderr\n' +
        'when stderr is a terminal, and nothing otherwise: stdout carries the output (cdrs export > cdrs.csv).',
    )
    .exitOverride();
  // Subcommands inherit exitOverride and this output; commander's errors are one line already.
  program.configureOutput({ outputError: (text, write) => write(`dialo: ${text.replace(/^error: /, '')}`) });
  for (const add of [
    migrateCommand,
    accountCommands,
    sipCredentialCommands,
    trunkCommands,
    didCommands,
    rateCommands,
    cdrCommands,
    holdCommands,
    retentionCommands,
    policyCommands,
  ]) {
    add(program);
  }
  return program;
}
