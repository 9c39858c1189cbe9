/** A table's header row: one column heading (`th scope=col`) for each text. */
export function appendColumnHeadings(table: HTMLTableElement, headings: readonly string[]): void {
  const head = table.createTHead().insertRow();
  for (const text of headings) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.append(th);
  }
}
