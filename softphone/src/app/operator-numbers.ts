/**
 * The console's numbers section: the DIDs this server hosts and the account each rings (GET /admin/dids), added,
 * assigned to an account by its sign-in address, unassigned and removed.
 */
import { createAccountDirectory } from './operator-account-directory.ts';
import type { ApiClient } from './api-client.ts';
import { labelled } from './console-parts.ts';
import { actions, button, form, input, select, statusLine, table } from './operator-parts.ts';
import type { ConsoleSection } from './operator-section.ts';

interface Did {
  readonly e164: string;
  readonly accountId: string | null;
}

export function createNumbers(api: ApiClient, container: HTMLElement): ConsoleSection {
  const status = statusLine();
  const accounts = createAccountDirectory(api);
  const list = table('Numbers (DIDs) and the account each rings', ['Number', 'Account', 'Actions']);

  const addressInput = () => {
    const element = input({ type: 'email' });
    element.setAttribute('list', accounts.suggestions.id);
    return element;
  };
  const newNumber = input({ required: true });
  newNumber.placeholder = '+14155550100';
  const newAccount = addressInput();
  const addForm = form(
    'Add a number',
    () =>
      void status.run('The number was not added', async () => {
        const accountId = newAccount.value.trim() === '' ? null : accounts.idOf(newAccount.value);
        const did = await api.post<Did>('/admin/dids', { e164: newNumber.value.trim(), accountId });
        addForm.form.reset();
        await load();
        return `${did.e164} added${accountId === null ? '' : `, ringing ${accounts.addressOf(accountId)}`}.`;
      }),
  );
  addForm.body.append(
    labelled('Number (E.164)', newNumber),
    labelled('Account address (optional)', newAccount, 'the sign-in address of the account it rings'),
    button('Add number', () => undefined, { type: 'submit' }),
  );

  const numberChoice = select([]);
  const assignAccount = addressInput();
  assignAccount.required = true;
  const assignForm = form(
    'Assign a number',
    () =>
      void status.run('The number was not assigned', async () => {
        const e164 = numberChoice.value;
        const accountId = accounts.idOf(assignAccount.value);
        await assign(e164, accountId);
        assignForm.form.reset();
        return `${e164} now rings ${accounts.addressOf(accountId)}.`;
      }),
  );
  assignForm.body.append(
    labelled('Number to assign', numberChoice),
    labelled('Assign to account address', assignAccount),
    button('Assign', () => undefined, { type: 'submit' }),
  );

  const assign = async (e164: string, accountId: string | null) => {
    await api.put<Did>(`/admin/dids/${encodeURIComponent(e164)}`, { accountId });
    await load();
  };
  const unassign = (did: Did) =>
    void status.run(`${did.e164} was not unassigned`, async () => {
      await assign(did.e164, null);
      return `${did.e164} rings no one now.`;
    });
  const remove = (did: Did) =>
    void status.run(`${did.e164} was not removed`, async () => {
      if (!confirm(`Remove ${did.e164}? Calls to it will be refused.`)) return undefined;
      await api.delete(`/admin/dids/${encodeURIComponent(did.e164)}`);
      await load();
      return `${did.e164} removed.`;
    });

  async function load() {
    const [{ dids }] = await Promise.all([api.get<{ dids: Did[] }>('/admin/dids'), accounts.load()]);
    const chosen = numberChoice.value;
    numberChoice.replaceChildren(...dids.map((did) => new Option(did.e164)));
    if (dids.some((did) => did.e164 === chosen)) numberChoice.value = chosen;
    list.fill(
      dids.map((did) => [
        did.e164,
        did.accountId === null ? 'unassigned' : accounts.addressOf(did.accountId),
        actions(
          ...(did.accountId === null ? [] : [button('Unassign', () => unassign(did), { name: `Unassign ${did.e164}` })]),
          button('Remove', () => remove(did), { name: `Remove ${did.e164}` }),
        ),
      ]),
    );
  }

  container.replaceChildren(status.element, list.table, addForm.form, assignForm.form, accounts.suggestions);
  return {
    refresh: async () => void (await status.run('Numbers unavailable', async () => void (await load()))),
    clear() {
      list.fill([]);
      numberChoice.replaceChildren();
      accounts.clear();
      status.say('');
    },
  };
}
