/** `dialo cdrs export`: call records as CSV or NDJSON (core/calls/cdr-export-run.ts, as the admin API), audited. */
import { createWriteStream } from 'node:fs';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { CDR_DIRECTIONS, countCdrs, type CdrExportFormat } from '../../core/calls/cdr-export.ts';
import { runCdrExport } from '../../core/calls/cdr-export-run.ts';
import { OUTCOME_FILTERS, type OutcomeFilter } from '../../core/calls/history-filter.ts';
import type { CallDirection } from '../../db/schema.ts';
import { ACCOUNT_HELP, accountId } from '../account-argument.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { parse, print } from '../output.ts';
import { drawsProgress, progress, type Progress } from '../progress.ts';

interface ExportOptions {
  format: CdrExportFormat;
  from?: Date;
  to?: Date;
  account?: string;
  direction?: CallDirection;
  outcome?: OutcomeFilter;
  trunk?: number;
  output?: string;
}

const NEWLINE = 0x0a;

/** Passes the text on and counts its lines, which are its records (Call-IDs and numbers hold no newline). */
function lineCounter(bar: Progress, header: number): Transform & { rows(): number } {
  let lines = 0;
  const counter = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
      bar.update(Math.max(lines - header, 0));
      done(null, chunk);
    },
  });
  return Object.assign(counter, { rows: () => Math.max(lines - header, 0) });
}

export function cdrCommands(program: Command): void {
  const cdrs = program.command('cdrs').description('call records');

  cdrs
    .command('export')
    .description('every call record matching the filters, oldest first, streamed in constant memory; audited')
    .addOption(new Option('--format <format>', 'csv (with a header line) or ndjson').choices(['csv', 'ndjson']).default('csv'))
    .option('--from <time>', 'calls started at or after (ISO 8601)', parse.time)
    .option('--to <time>', 'calls started before (ISO 8601)', parse.time)
    .option('--account <account>', ACCOUNT_HELP)
    .addOption(new Option('--direction <direction>', 'as recorded: outbound, inbound, onnet (between users) or echo').choices(CDR_DIRECTIONS))
    .addOption(
      new Option('--outcome <outcome>', "as a user's call history reads it: missed (nobody picked up, busy, declined, cancelled); failed: otherwise").choices(
        OUTCOME_FILTERS,
      ),
    )
    .option('--trunk <id>', 'calls through this trunk (its id, as `dialo trunks list` shows)', parse.integer)
    .option('--output <file>', 'write to this file instead of stdout')
    .action((options: ExportOptions, command: Command) =>
      withDatabase(async (context) => {
        const filter = {
          ...(options.from === undefined ? {} : { from: options.from }),
          ...(options.to === undefined ? {} : { to: options.to }),
          ...(options.account === undefined ? {} : { accountId: await accountId(context, options.account) }),
          ...(options.direction === undefined ? {} : { direction: options.direction }),
          ...(options.outcome === undefined ? {} : { outcome: options.outcome }),
          ...(options.trunk === undefined ? {} : { trunkId: options.trunk }),
        };
        // The total is counted only for a bar that is drawn.
        const bar = progress('cdrs', drawsProgress() ? await countCdrs(context.db, filter) : 0);
        const counter = lineCounter(bar, options.format === 'csv' ? 1 : 0);
        const destination: Writable = options.output === undefined ? process.stdout : createWriteStream(options.output);
        try {
          const body = await runCdrExport(context, COMMAND_LINE, filter, options.format);
          // stdout is not ended by the pipeline: the process may still print to it (it never does, unless --output).
          await pipeline(body, counter, destination, { end: options.output !== undefined });
        } finally {
          bar.stop();
        }
        if (options.output !== undefined) {
          print(command, { rows: counter.rows(), format: options.format, file: options.output }, (it) => `exported ${it.rows} records to ${it.file}`);
        }
      }),
    );
}
