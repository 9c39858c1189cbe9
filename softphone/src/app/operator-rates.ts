/**
 * The console's rates section: the rate table (GET /admin/rates, a prefix filter, the first 100), a rate added or
 * edited in one form, deleted, and a rate deck imported from a CSV file (POST /admin/rates/import: all or nothing,
 * each bad line listed under the message).
 */
import type { ApiClient } from './api-client.ts';
import { labelled } from './console-parts.ts';
import { actions, button, form, input, statusLine, table } from './operator-parts.ts';
import type { ConsoleSection } from './operator-section.ts';

interface Rate {
  readonly id: number;
  readonly prefix: string;
  readonly description: string;
  readonly pricePerMinute: string;
  readonly firstIncrement: number;
  readonly nextIncrement: number;
  readonly connectionFee: string;
  readonly effectiveFrom: string;
}

const SHOWN = 100;

export function createRates(api: ApiClient, container: HTMLElement): ConsoleSection {
  const status = statusLine();
  const list = table(`Rates (the first ${SHOWN} by prefix)`, [
    'Prefix',
    'Description',
    'Per minute',
    'Increments (s)',
    'Connection fee',
    'Effective from',
    'Actions',
  ]);
  let editing: Rate | undefined;

  const filter = input();
  const filterForm = form('Find rates', () => void refresh());
  filterForm.body.append(
    labelled('Prefix starts with', filter),
    button('Show rates', () => undefined, { type: 'submit' }),
  );

  const deck = input({ type: 'file', required: true });
  deck.accept = '.csv,text/csv';
  const importForm = form(
    'Import a rate deck',
    () =>
      void status.run('The rates were not imported', async () => {
        const file = deck.files?.[0];
        if (file === undefined) throw new Error('choose a CSV file');
        const { imported } = await api.post<{ imported: number }>('/admin/rates/import', new Blob([await file.text()], { type: 'text/csv' }));
        importForm.form.reset();
        await load();
        return `${file.name}: ${imported} rates imported.`;
      }),
  );
  importForm.body.append(
    labelled('Rate deck (CSV)', deck, 'columns: prefix, description, price_per_minute, first_increment, next_increment, connection_fee, effective_from'),
    button('Import', () => undefined, { type: 'submit' }),
  );

  const prefix = input({ required: true });
  const description = input();
  const price = input({ required: true });
  const first = input({ type: 'number', value: '60', min: 1, max: 3600 });
  const next = input({ type: 'number', value: '60', min: 1, max: 3600 });
  const fee = input({ value: '0' });
  const effective = input({ required: true });
  const submit = button('Add rate', () => undefined, { type: 'submit' });
  const cancel = button('Cancel edit', () => startAdding());
  const rateForm = form('Add a rate', () => void save());
  rateForm.body.append(
    labelled('Rate prefix', prefix, 'E.164 digits, e.g. 44 or 4420'),
    labelled('Description', description),
    labelled('Price per minute', price, 'currency units, e.g. 0.02'),
    labelled('First increment (seconds)', first),
    labelled('Next increments (seconds)', next),
    labelled('Connection fee', fee),
    labelled('Effective from', effective, 'ISO 8601, e.g. 2026-01-01T00:00:00Z'),
    submit,
    cancel,
  );

  function startAdding() {
    editing = undefined;
    rateForm.form.reset();
    rateForm.legend.textContent = 'Add a rate';
    submit.textContent = 'Add rate';
    cancel.hidden = true;
    effective.value = new Date().toISOString().slice(0, 19) + 'Z';
  }

  function startEditing(rate: Rate) {
    editing = rate;
    rateForm.legend.textContent = `Edit the rate for ${rate.prefix}`;
    submit.textContent = 'Save rate';
    cancel.hidden = false;
    prefix.value = rate.prefix;
    description.value = rate.description;
    price.value = rate.pricePerMinute;
    first.value = String(rate.firstIncrement);
    next.value = String(rate.nextIncrement);
    fee.value = rate.connectionFee;
    effective.value = rate.effectiveFrom;
    prefix.focus();
  }

  const save = () =>
    status.run(editing === undefined ? 'The rate was not added' : 'The rate was not saved', async () => {
      const adding = editing === undefined;
      const when = new Date(effective.value.trim());
      if (Number.isNaN(when.getTime())) throw new Error('effective from: not a date and time');
      const body = {
        prefix: prefix.value.trim(),
        description: description.value.trim(),
        pricePerMinute: price.value.trim(),
        firstIncrement: Number(first.value),
        nextIncrement: Number(next.value),
        connectionFee: fee.value.trim() || '0',
        effectiveFrom: when.toISOString(),
      };
      const saved = adding ? await api.post<Rate>('/admin/rates', body) : await api.put<Rate>(`/admin/rates/${editing!.id}`, body);
      startAdding();
      await load();
      return `The rate for ${saved.prefix} ${adding ? 'added' : 'saved'}.`;
    });

  const remove = (rate: Rate) =>
    void status.run('The rate was not deleted', async () => {
      if (!confirm(`Delete the rate for ${rate.prefix} from ${rate.effectiveFrom}?`)) return undefined;
      await api.delete(`/admin/rates/${rate.id}`);
      if (editing?.id === rate.id) startAdding();
      await load();
      return `The rate for ${rate.prefix} deleted.`;
    });

  async function load() {
    const wanted = filter.value.trim();
    const query = `limit=${SHOWN}${wanted === '' ? '' : `&prefix=${encodeURIComponent(wanted)}`}`;
    const { rates } = await api.get<{ rates: Rate[] }>(`/admin/rates?${query}`);
    list.fill(
      rates.map((rate) => {
        const name = `${rate.prefix} from ${rate.effectiveFrom.slice(0, 10)}`;
        return [
          rate.prefix,
          rate.description,
          rate.pricePerMinute,
          `${rate.firstIncrement}/${rate.nextIncrement}`,
          rate.connectionFee,
          rate.effectiveFrom,
          actions(
            button('Edit', () => startEditing(rate), { name: `Edit rate ${name}` }),
            button('Delete', () => remove(rate), { name: `Delete rate ${name}` }),
          ),
        ];
      }),
    );
  }
  const refresh = async () => void (await status.run('Rates unavailable', async () => void (await load())));

  container.replaceChildren(status.element, filterForm.form, list.table, importForm.form, rateForm.form);
  startAdding();
  return {
    refresh,
    clear() {
      list.fill([]);
      status.say('');
      startAdding();
    },
  };
}
