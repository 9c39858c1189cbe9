/**
 * `dialo`: the operator's command line. Each command calls the core functions the admin API calls, audited the same
 * way (as no account: the command line). Exit codes: 0 done, 1 failed, 2 bad usage; errors are one line on stderr.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { AccountError } from '../core/accounts/errors.ts';
import { AdjustmentError } from '../core/billing/ledger.ts';
import { RateInputError } from '../core/billing/rates.ts';
import { CallAdminError } from '../core/calls/call-admin-error.ts';
import { MoneyError } from '../core/money.ts';
import { UsageError } from './output.ts';
import { buildProgram } from './program.ts';

const USAGE = 2;
const FAILED = 1;

/** Input core refuses as malformed (a bad number, amount or username) is bad usage; not found, conflicts: failures. */
function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof RateInputError || error instanceof MoneyError || error instanceof AdjustmentError) return USAGE;
  if (error instanceof CallAdminError && error.code === 'invalid') return USAGE;
  if (error instanceof AccountError && error.code === 'invalid_email') return USAGE;
  return FAILED;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end the run normally; anything else commander refused is bad usage, already printed.
      return error.exitCode === 0 ? 0 : USAGE;
    }
    // A setting found wrong only now (PRIVACY_MASTER_KEY with DATABASE_URL): worded as at boot.
    const prefix = error instanceof ConfigError ? 'invalid configuration: ' : '';
    process.stderr.write(`dialo: ${prefix}${(error as Error).message.split('\n')[0]}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
