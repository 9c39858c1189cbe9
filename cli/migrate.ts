/** `npm run migrate [-- down]`: applies pending migrations to the database named by config. */
import { loadConfigOrExit } from '../config.ts';
import { connectDatabase } from '../db/connect.ts';
import { migrateDown, migrateToLatest } from '../db/migrate.ts';

if (process.argv.includes('--help')) {
  process.stdout.write('usage: npm run migrate [-- down]\n');
  process.exit(0);
}
const config = loadConfigOrExit();
const { db, close } = connectDatabase(config.database);
try {
  const names = process.argv.includes('down') ? await migrateDown(db) : await migrateToLatest(db);
  process.stdout.write(names.length === 0 ? 'nothing to do\n' : `${names.join('\n')}\n`);
} finally {
  await close();
}
