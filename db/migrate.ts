import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

function migrator(db: Kysely<Database>): Migrator {
  // Migrations see an untyped database: they must not depend on today's schema types.
  // Numbered ranges are given out per area, so a branch may bring a lower number than one already applied:
  // apply it rather than refuse to boot.
  return new Migrator({ db: db as unknown as Kysely<unknown>, provider: { getMigrations: async () => migrations }, allowUnorderedMigrations: true });
}

/**
 * Applies every pending migration. Running it again applies nothing: already-applied names are recorded
 * in `kysely_migration`, and Kysely's lock table keeps two processes from migrating at once.
 * @returns the names of the migrations this call applied.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return applied(await migrator(db).migrateToLatest());
}

/** Rolls back the most recent migration (for development; production only rolls forward). */
export async function migrateDown(db: Kysely<Database>): Promise<string[]> {
  return applied(await migrator(db).migrateDown());
}

function applied({ error, results }: MigrationResultSet): string[] {
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined) {
    throw new MigrationError(`migration ${failed?.migrationName ?? '(before any ran)'} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
