/**
 * The operator console's CDR export section: the filters GET /admin/cdrs/export takes (the days calls started on,
 * one account, found by its address) and the format, then the route's answer saved as a download. The route audits
 * every export.
 */
import type { ApiClient } from './api-client.ts';
import { actionForm, labelled, textInput } from './console-parts.ts';
import { dayRange } from './day-range.ts';
import { downloadFile } from './file-download.ts';
import type { ConsoleSection } from './operator-section.ts';

export function createCdrExport(api: ApiClient, container: HTMLElement): ConsoleSection {
  const first = textInput({ type: 'date' });
  const last = textInput({ type: 'date' });
  const email = textInput({ type: 'email', maxLength: 254 });
  const format = document.createElement('select');
  format.add(new Option('CSV', 'csv'));
  format.add(new Option('NDJSON (one JSON object a line)', 'ndjson'));
  const download = actionForm(
    'Export call records',
    [
      labelled('Calls from', first, 'The first day calls started on (UTC); blank: from the first record.'),
      labelled('Calls to', last, 'The last day, included (UTC); blank: up to now.'),
      labelled('Only the account', email, 'Its whole e-mail address; blank: every account.'),
      labelled('File format', format),
    ],
    'Download call records',
    async () => {
      const range = dayRange(first.value, last.value);
      if (!range.ok) throw new Error(range.problem);
      const query = new URLSearchParams({ format: format.value });
      if (range.from !== undefined) query.set('from', range.from.toISOString());
      if (range.to !== undefined) query.set('to', range.to.toISOString());
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
    // Nothing is read until the operator asks for a file.
    refresh: () => Promise.resolve(),
    clear() {
      download.form.reset();
      download.status.textContent = '';
    },
  };
}
