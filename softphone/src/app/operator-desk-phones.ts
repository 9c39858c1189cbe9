/**
 * The console's desk-phones section: static SIP credentials (GET /admin/sip-credentials), created on an account by
 * its sign-in address (the generated password shown this once: only its digest is kept) and removed.
 */
import { createAccountDirectory } from './operator-account-directory.ts';
import type { ApiClient } from './api-client.ts';
import { formatWhen } from './format.ts';
import { labelled } from './console-parts.ts';
import { actions, button, form, input, statusLine, table } from './operator-parts.ts';
import type { ConsoleSection } from './operator-section.ts';

interface DeskPhone {
  readonly accountId: string;
  readonly username: string;
  readonly realm: string;
  readonly createdAt: string;
}

export function createDeskPhones(api: ApiClient, container: HTMLElement): ConsoleSection {
  const status = statusLine();
  const accounts = createAccountDirectory(api);
  const list = table('Desk phones (static SIP credentials)', ['SIP username', 'Account', 'Realm', 'Created', 'Actions']);
  /** The one place a new password is ever shown; emptied by the next action. */
  const secret = document.createElement('p');
  secret.className = 'operator-secret';

  const account = input({ type: 'email', required: true });
  account.setAttribute('list', accounts.suggestions.id);
  const username = input({ required: true });
  const phoneForm = form('Add a desk phone', () => {
    secret.replaceChildren();
    void status.run('The desk phone was not added', async () => {
      const created = await api.post<DeskPhone & { password: string }>('/admin/sip-credentials', {
        accountId: accounts.idOf(account.value),
        username: username.value.trim(),
      });
      phoneForm.form.reset();
      const code = document.createElement('code');
      code.dataset.password = created.username;
      code.textContent = created.password;
      secret.append(`Password for ${created.username} (shown this once; only its digest is kept): `, code);
      await load();
      return `Desk phone ${created.username} added: it registers as ${created.username} in realm ${created.realm}.`;
    });
  });
  phoneForm.body.append(
    labelled('Phone owner address', account, 'the sign-in address of the account it calls as'),
    labelled('SIP username', username, '3 to 64 letters, digits, dots, dashes or underscores'),
    button('Add desk phone', () => undefined, { type: 'submit' }),
  );

  const remove = (phone: DeskPhone) => {
    secret.replaceChildren();
    void status.run(`Desk phone ${phone.username} was not removed`, async () => {
      if (!confirm(`Remove desk phone ${phone.username}? It can no longer register or call.`)) return undefined;
      await api.delete(`/admin/sip-credentials/${encodeURIComponent(phone.username)}`);
      await load();
      return `Desk phone ${phone.username} removed.`;
    });
  };

  async function load() {
    const [{ credentials }] = await Promise.all([api.get<{ credentials: DeskPhone[] }>('/admin/sip-credentials'), accounts.load()]);
    list.fill(
      credentials.map((phone) => [
        phone.username,
        accounts.addressOf(phone.accountId),
        phone.realm,
        formatWhen(phone.createdAt),
        actions(button('Remove', () => remove(phone), { name: `Remove desk phone ${phone.username}` })),
      ]),
    );
  }

  container.replaceChildren(status.element, secret, list.table, phoneForm.form, accounts.suggestions);
  return {
    refresh: async () => void (await status.run('Desk phones unavailable', async () => void (await load()))),
    clear() {
      list.fill([]);
      secret.replaceChildren();
      accounts.clear();
      status.say('');
    },
  };
}
