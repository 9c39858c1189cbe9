/** A table with one row of column headings (scope=col), for the charts' figures and the operator console's lists. */
export function headedTable(className: string, headings: readonly string[]): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const table = document.createElement('table');
  table.className = className;
  const head = table.createTHead().insertRow();
  for (const text of headings) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.append(th);
  }
  return { table, body: table.createTBody() };
}
