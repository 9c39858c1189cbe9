/**
 * How `dialo` answers: a human line per item, or with `--json` one JSON document on stdout for scripts. Errors are
 * one line on stderr; the exit code says which kind (0 done, 1 failed, 2 bad usage).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { MoneyError, parseDecimal, type Micros } from '../core/money.ts';

/** Bad usage the parser could not see (a value that reads right but means nothing): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Whether `--json` was given (a global option, so it may come before or after the command). */
export function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

/** Prints `value` as JSON with --json, else the lines `human` makes of it. */
export function print<T>(command: Command, value: T, human: (value: T) => string | readonly string[]): void {
  if (wantsJson(command)) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const lines = human(value);
  const text = typeof lines === 'string' ? lines : lines.join('\n');
  if (text !== '') process.stdout.write(`${text}\n`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Argument parsers: a bad value is refused by commander with one line naming the argument, exit code 2. */
export const parse = {
  uuid(value: string): string {
    if (!UUID.test(value)) throw new InvalidArgumentError('expected a UUID.');
    return value.toLowerCase();
  },
  integer(value: string): number {
    if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
    return Number(value);
  },
  /** Currency units, as the admin API takes them (core/money.ts). */
  amount(value: string): Micros {
    try {
      return parseDecimal(value);
    } catch (error) {
      if (error instanceof MoneyError) throw new InvalidArgumentError('expected an amount in currency units such as 5 or -2.50.');
      throw error;
    }
  },
  time(value: string): Date {
    const time = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime()))
      throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-12-01T00:00:00Z.');
    return time;
  },
};
