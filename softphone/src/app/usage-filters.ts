/**
 * The history's filter form: its query (usage-query.ts) narrows GET /calls, and the same query goes to the
 * "Download CSV" link (GET /calls/export) and the usage panel (GET /calls/usage).
 */
import { filterQuery } from './usage-query.ts';

export interface FilterElements {
  readonly form: HTMLFormElement;
  readonly from: HTMLInputElement;
  readonly to: HTMLInputElement;
  readonly direction: HTMLSelectElement;
  readonly outcome: HTMLSelectElement;
  readonly country: HTMLInputElement;
  readonly number: HTMLInputElement;
  /** The "Download CSV" link: its address follows the filters. */
  readonly csv: HTMLAnchorElement;
}

export interface HistoryFilters {
  /** The query the form asks for now (empty: every call). */
  query(): string;
}

/** Wires the form: applying or clearing it calls `changed` and points the CSV link at the filtered export. */
export function createHistoryFilters(elements: FilterElements, changed: () => void): HistoryFilters {
  const query = () =>
    filterQuery({
      from: elements.from.value,
      to: elements.to.value,
      direction: elements.direction.value,
      outcome: elements.outcome.value,
      country: elements.country.value,
      number: elements.number.value,
    });
  const apply = () => {
    const current = query();
    elements.csv.href = current === '' ? '/calls/export' : `/calls/export?${current}`;
    changed();
  };
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  // After the reset has cleared the inputs.
  elements.form.addEventListener('reset', () => setTimeout(apply));
  return { query };
}
