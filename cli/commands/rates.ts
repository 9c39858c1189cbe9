/** `dialo rates ...`: the rate table (core/billing/rates.ts), as the admin API. */
import type { Command } from 'commander';
import { rateDto } from '../../api/routes/admin-billing.ts';
import { recordAudit } from '../../core/audit.ts';
import { importRatesCsv, listRates, RATES_CSV_COLUMNS } from '../../core/billing/rates.ts';
import { withDatabase } from '../context.ts';
import { readInput } from '../input.ts';
import { parse, print } from '../output.ts';
import { progress } from '../progress.ts';

/** As the admin API shows a rate, so --json reads the same. */
const shown = rateDto;

export function rateCommands(program: Command): void {
  const rates = program.command('rates').description('what calls cost, by number prefix');

  rates
    .command('import')
    .description(`import a rates CSV, all or nothing (columns: ${RATES_CSV_COLUMNS.join(',')})`)
    .argument('<file>', 'the CSV file, or - to read it from stdin')
    .action(async (file: string, _options: unknown, command: Command) => {
      const text = await readInput(file, 'file');
      await withDatabase(async ({ db }) => {
        const bar = progress('rates', 0);
        const result = await importRatesCsv(db, text, (written, total) => bar.update(written, total)).finally(() => bar.stop());
        if (!result.ok) {
          // Every bad line first (the one place an error takes more than a line), then what it means.
          for (const error of result.errors) process.stderr.write(`line ${error.line}: ${error.message}\n`);
          throw new Error(`${result.errors.length} bad line(s) in ${file === '-' ? 'stdin' : file}; nothing was imported`);
        }
        // As the admin route audits it, by no account: the command line.
        await recordAudit(db, { action: 'billing.rates_imported', detail: { imported: result.imported } });
        print(command, { imported: result.imported }, (it) => `imported ${it.imported} rates`);
      });
    });

  rates
    .command('list')
    .description('rates by prefix, then date')
    .option('--prefix <digits>', 'only under this prefix')
    .option('--limit <n>', 'at most this many', parse.integer, 100)
    .option('--offset <n>', 'skip this many first', parse.integer, 0)
    .action((options: { prefix?: string; limit: number; offset: number }, command: Command) =>
      withDatabase(async ({ db }) => {
        const all = (await listRates(db, options)).map(shown);
        print(command, all, (them) =>
          them.map(
            (rate) =>
              `${rate.prefix}  ${rate.pricePerMinute}/min  ${rate.firstIncrement}/${rate.nextIncrement}  from ${rate.effectiveFrom}  ${rate.description}`,
          ),
        );
      }),
    );
}
