/**
 * The operator console's CDR export section: the filters GET /admin/cdrs/export takes (the days calls started on,
 * one account, found by its address, the direction, how calls turned out, one trunk) and the format, then the
 * route's answer saved as a download. The route audits every export.
 */
import type { ApiClient } from './api-client.ts';
import { actionForm, labelled, textInput } from './console-parts.ts';
import { dayRange } from './day-range.ts';
import { downloadFile } from './file-download.ts';
import type { ConsoleSection } from './operator-section.ts';

/** A select whose first option, '', means no filter. */
function choice(options: readonly [string, string][]): HTMLSelectElement {
  const select = document.createElement('select');
  for (const [value, text] of [['', 'Any'], ...options]) select.add(new Option(text, value));
  return select;
}

export function createCdrExport(api: ApiClient, container: HTMLElement): ConsoleSection {
  const first = textInput({ type: 'date' });
  const last = textInput({ type: 'date' });
  const email = textInput({ type: 'email', maxLength: 254 });
  const direction = choice([
    ['outbound', 'Outbound, to carriers'],
    ['inbound', 'Inbound, from carriers'],
    ['onnet', 'Between users of this server'],
    ['echo', 'Echo tests'],
  ]);
  const outcome = choice([
    ['answered', 'Answered'],
    ['missed', 'Missed (no answer, busy, declined, cancelled)'],
    ['failed', 'Failed or refused'],
  ]);
  const trunk = choice([]);
  const format = document.createElement('select');
  format.add(new Option('CSV', 'csv'));
  format.add(new Option('NDJSON (one JSON object a line)', 'ndjson'));
  const download = actionForm(
    'Export call records',
    [
      labelled('Calls from', first, 'The first day calls started on (UTC); blank: from the first record.'),
      labelled('Calls to', last, 'The last day, included (UTC); blank: up to now.'),
      labelled('Only the account', email, 'Its whole e-mail address; blank: every account.'),
      labelled('Call direction', direction),
      labelled('Call outcome', outcome, "As users' own call history reads it."),
      labelled('Only the trunk', trunk),
      labelled('File format', format),
    ],
    'Download call records',
    async () => {
      const range = dayRange(first.value, last.value);
      if (!range.ok) throw new Error(range.problem);
      const query = new URLSearchParams({ format: format.value });
      if (range.from !== undefined) query.set('from', range.from.toISOString());
      if (range.to !== undefined) query.set('to', range.to.toISOString());
      for (const [name, select] of [
        ['direction', direction],
        ['outcome', outcome],
        ['trunkId', trunk],
      ] as const) {
        if (select.value !== '') query.set(name, select.value);
      }
      const address = email.value.trim();
      if (address !== '') {
        const { accounts } = await api.get<{ accounts: { id: string }[] }>(`/admin/accounts?limit=1&email=${encodeURIComponent(address)}`);
        const [account] = accounts;
        if (account === undefined) throw new Error(`No account has the address ${address}.`);
        query.set('accountId', account.id);
      }
      const file = await downloadFile(api, `/admin/cdrs/export?${query}`, `dialo-cdrs.${format.value}`);
      return `Downloaded ${file}.`;
    },
  );
  container.replaceChildren(download.form);
  return {
    // The trunks to choose from; no record is read until the operator asks for a file.
    async refresh() {
      const { trunks } = await api.get<{ trunks: { id: number; name: string }[] }>('/admin/trunks');
      const chosen = trunk.value;
      trunk.replaceChildren(trunk.options[0]!, ...trunks.map((row) => new Option(row.name, String(row.id))));
      trunk.value = trunks.some((row) => String(row.id) === chosen) ? chosen : '';
    },
    clear() {
      download.form.reset();
      download.status.textContent = '';
    },
  };
}
