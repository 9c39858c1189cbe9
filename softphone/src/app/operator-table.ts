/** A data table for the operator console's lists (live calls, audit log): a caption naming it, headed columns, one row per item. */
import { headedTable } from './headed-table.ts';

export interface TableRow {
  /** Set as the row's `data-key` (the call's or event's id). */
  readonly key: string;
  /** One cell per column: text, or an element (a button). */
  readonly cells: readonly (string | HTMLElement)[];
}

export function operatorTable(caption: string, headings: readonly string[], rows: readonly TableRow[]): HTMLTableElement {
  const { table, body } = headedTable('operator-table', headings);
  table.createCaption().textContent = caption;
  for (const row of rows) {
    const tr = body.insertRow();
    tr.dataset.key = row.key;
    for (const cell of row.cells) tr.insertCell().append(cell);
  }
  return table;
}
