/** `dialo migrate [--down]`: applies pending migrations (the app also does at boot), or reverts the last one. */
import type { Command } from 'commander';
import { migrateDown, migrateToLatest } from '../../db/migrate.ts';
import { openDatabase } from '../context.ts';
import { print } from '../output.ts';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--down', 'revert the last migration instead')
    .action(async (options: { down?: boolean }, command: Command) => {
      // Not through withDatabase: that migrates first and opens the vault, neither wanted here.
      const { db, close } = openDatabase();
      try {
        const applied = options.down === true ? await migrateDown(db) : await migrateToLatest(db);
        print(command, { direction: options.down === true ? 'down' : 'up', migrations: applied }, ({ migrations }) =>
          migrations.length === 0 ? 'nothing to do' : migrations,
        );
      } finally {
        await close();
      }
    });
}
