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

/** A row's values, and those of a json column one level down (an audit event's detail). */
function valuesOf(row: ExportRow): [Record<string, unknown>, string][] {
  return Object.entries(row).flatMap(([key, value]): [Record<string, unknown>, string][] =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
      ? Object.keys(value).map((inner): [Record<string, unknown>, string] => [value as Record<string, unknown>, inner])
      : [[row, key]],
  );
}

/**
 * The rows with every sealed value opened (numbers, operator notes: whatever a source stores sealed), all with one
 * read of the keys; a value whose key is destroyed becomes null.
 * @example
 * const rows = await openSealedValues(db, vault, await source.export(db, accountId));
 */
export async function openSealedValues(db: Kysely<Database>, vault: Vault, rows: readonly ExportRow[]): Promise<ExportRow[]> {
  const copies = rows.map((row) => structuredClone(row));
  const places = copies.flatMap(valuesOf).filter(([holder, key]) => typeof holder[key] === 'string' && isSealed(holder[key]));
  const opened = await vault.openAll(
    db,
    places.map(([holder, key]) => holder[key] as string),
  );
  places.forEach(([holder, key], i) => (holder[key] = opened[i] ?? null));
  return copies;
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
    data[source.table] = await openSealedValues(db, vault, await source.export(db, accountId));
  }
  const counts = Object.fromEntries(Object.entries(data).map(([table, rows]) => [table, rows.length]));
  await recordAudit(
    db,
    requester.kind === 'subject'
      ? { action: 'privacy.export', actorAccountId: accountId, subjectAccountId: accountId, detail: { rows: counts } }
      : {
          action: 'admin.export',
          actorAccountId: requester.operatorId,
          subjectAccountId: accountId,
          // The operator's words (a legal basis) may name the person: sealed under the account's key.
          detail: { rows: counts, reason: await vault.seal(db, accountId, requester.reason) },
        },
  );
  return { format: EXPORT_FORMAT, generatedAt: new Date().toISOString(), accountId, contents, data, withheld };
}

/** One source's rows for the subject, for a CSV download; undefined if there is no such (visible) source. */
export async function exportSourceRows(db: Kysely<Database>, vault: Vault, accountId: string, table: string): Promise<ExportRow[] | undefined> {
  const source = accountDataSources.find((candidate) => candidate.table === table && candidate.withheldFromSubject === undefined);
  if (source === undefined) return undefined;
  const rows = await openSealedValues(db, vault, await source.export(db, accountId));
  await recordAudit(db, {
    action: 'privacy.export',
    actorAccountId: accountId,
    subjectAccountId: accountId,
    detail: { rows: { [table]: rows.length }, format: 'csv' },
  });
  return rows;
}
