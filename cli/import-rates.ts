/**
 * `npm run rates:import -- <file.csv>`: imports a rates CSV into the database named by config, all or
 * nothing. Bad lines are listed as `line N: problem` on stderr and the exit code is 1.
 */
import { readFile } from 'node:fs/promises';
import { loadConfigOrExit } from '../config.ts';
import { importRatesCsv, RATES_CSV_COLUMNS } from '../core/billing/rates.ts';
import { connectDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';

const file = process.argv[2];
if (file === undefined || file === '--help') {
  process.stdout.write(`usage: npm run rates:import -- <file.csv>\ncolumns: ${RATES_CSV_COLUMNS.join(',')}\n`);
  process.exit(file === undefined ? 1 : 0);
}
const config = loadConfigOrExit();
const text = await readFile(file, 'utf8');
const { db, close } = connectDatabase(config.database);
try {
  await migrateToLatest(db);
  const result = await importRatesCsv(db, text);
  if (result.ok) {
    process.stdout.write(`imported ${result.imported} rates\n`);
  } else {
    for (const error of result.errors) process.stderr.write(`line ${error.line}: ${error.message}\n`);
    process.stderr.write('nothing imported\n');
    process.exitCode = 1;
  }
} finally {
  await close();
}
