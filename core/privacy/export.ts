/** The portable bundle of everything held about an account, built from the data-source registry. */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import type { AccountDataSource, ExportRow } from './data-source.ts';
import { accountDataSources } from './registry.ts';
import { isSealed, type Vault } from './vault.ts';

export const EXPORT_FORMAT = 'dialo-export/1';

export interface ExportBundle {
  readonly format: typeof EXPORT_FORMAT;
  readonly generatedAt: string;
  readonly accountId: string;
  /** Per table: what it holds, in words. */
  readonly contents: Record<string, string>;
  readonly data: Record<string, ExportRow[]>;
  /** Tables not shown to the subject, with the reason. */
  readonly withheld: Record<string, string>;
}

export type Requester = { readonly kind: 'subject' } | { readonly kind: 'operator'; readonly operatorId: string; readonly reason: string };

/**
 * The rows with every sealed value opened: the export shows the person what we hold in plain text, whichever source
 * sealed it (null where a key is destroyed).
 * @example
 * await openRows(db, vault, [{ email: 'v1.6f1c….Qk3…' }]); // [{ email: 'ana@example.org' }]
 */
export async function openRows(db: Kysely<Database>, vault: Vault, rows: readonly ExportRow[]): Promise<ExportRow[]> {
  const sealed = rows.flatMap((row) => Object.values(row).filter((value): value is string => typeof value === 'string' && isSealed(value)));
  const opened = new Map(sealed.map((value, index) => [value, index]));
  const plain = await vault.openAll(db, [...opened.keys()]);
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([column, value]) => [column, typeof value === 'string' && opened.has(value) ? plain[opened.get(value)!] : value]),
    ),
  );
}

/**
 * Builds the bundle and audits the request (`privacy.export` by the subject, `admin.export` by an operator).
 * @example
 * const bundle = await exportAccountData(db, vault, accountId, { kind: 'subject' });
 */
export async function exportAccountData(
  db: Kysely<Database>,
  vault: Vault,
  accountId: string,
  requester: Requester,
  sources: readonly AccountDataSource[] = accountDataSources,
): Promise<ExportBundle> {
  const data: Record<string, ExportRow[]> = {};
  const contents: Record<string, string> = {};
  const withheld: Record<string, string> = {};
  for (const source of sources) {
    if (requester.kind === 'subject' && source.withheldFromSubject !== undefined) {
      withheld[source.table] = source.withheldFromSubject;
      continue;
    }
    contents[source.table] = source.holds;
    data[source.table] = await openRows(db, vault, await source.export(db, accountId));
  }
  const counts = Object.fromEntries(Object.entries(data).map(([table, rows]) => [table, rows.length]));
  await recordAudit(
    db,
    requester.kind === 'subject'
      ? { action: 'privacy.export', actorAccountId: accountId, subjectAccountId: accountId, detail: { rows: counts } }
      : { action: 'admin.export', actorAccountId: requester.operatorId, subjectAccountId: accountId, detail: { rows: counts, reason: requester.reason } },
  );
  return { format: EXPORT_FORMAT, generatedAt: new Date().toISOString(), accountId, contents, data, withheld };
}

/** One source's rows for the subject, for a CSV download; undefined if there is no such (visible) source. */
export async function exportSourceRows(db: Kysely<Database>, vault: Vault, accountId: string, table: string): Promise<ExportRow[] | undefined> {
  const source = accountDataSources.find((candidate) => candidate.table === table && candidate.withheldFromSubject === undefined);
  if (source === undefined) return undefined;
  const rows = await openRows(db, vault, await source.export(db, accountId));
  await recordAudit(db, {
    action: 'privacy.export',
    actorAccountId: accountId,
    subjectAccountId: accountId,
    detail: { rows: { [table]: rows.length }, format: 'csv' },
  });
  return rows;
}
