/**
 * An operator's CDR export, as the admin API and the `dialo` CLI run it: the account checked, the export audited,
 * then the text streamed: written by Postgres (COPY) where the database has it, else read in batches and written here.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import type { CopyOut } from '../../db/connect.ts';
import type { Database } from '../../db/schema.ts';
import { requireAccount } from '../accounts/accounts.ts';
import { recordAudit } from '../audit.ts';
import type { Vault } from '../privacy/vault.ts';
import { CDR_EXPORT_COLUMNS, copyCdrs, exportCdrs, type CdrExportFormat, type CdrFilter } from './cdr-export.ts';

/**
 * Throws AccountError `no_such_account` for a filter on an account that does not exist (the audit names it).
 * @example
 * (await runCdrExport({ db, vault, copyOut }, operatorId, { accountId }, 'csv')).pipe(createWriteStream('cdrs.csv'));
 */
export async function runCdrExport(
  source: { readonly db: Kysely<Database>; readonly vault: Vault; readonly copyOut: CopyOut | undefined },
  actorAccountId: string | null,
  filter: CdrFilter,
  format: CdrExportFormat,
): Promise<Readable> {
  const { db, vault, copyOut } = source;
  if (filter.accountId !== undefined) await requireAccount(db, filter.accountId);
  await recordAudit(db, {
    action: 'admin.cdr_export',
    actorAccountId,
    subjectAccountId: filter.accountId ?? null,
    detail: {
      format,
      from: filter.from?.toISOString() ?? null,
      to: filter.to?.toISOString() ?? null,
      direction: filter.direction ?? null,
      outcome: filter.outcome ?? null,
      trunkId: filter.trunkId ?? null,
    },
  });
  if (copyOut !== undefined) return copyCdrs(copyOut, db, vault, filter, format);
  const rows = Readable.from(exportCdrs(db, vault, filter), { objectMode: true });
  if (format === 'ndjson') return rows.map((row) => `${JSON.stringify(row)}\n`);
  return rows.pipe(stringify({ header: true, columns: [...CDR_EXPORT_COLUMNS] }));
}
