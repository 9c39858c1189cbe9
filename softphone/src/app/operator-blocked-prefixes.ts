/**
 * The console's blocked-prefixes section: destinations no account may call (GET /admin/blocked-prefixes), blocked
 * with a reason and unblocked.
 */
import type { ApiClient } from './api-client.ts';
import { formatWhen } from './format.ts';
import { labelled } from './console-parts.ts';
import { actions, button, form, input, statusLine, table } from './operator-parts.ts';
import type { ConsoleSection } from './operator-section.ts';

interface BlockedPrefix {
  readonly prefix: string;
  readonly reason: string;
  readonly createdAt: string;
}

export function createBlockedPrefixes(api: ApiClient, container: HTMLElement): ConsoleSection {
  const status = statusLine();
  const list = table('Blocked destination prefixes', ['Prefix', 'Reason', 'Since', 'Actions']);

  const prefix = input({ required: true });
  const reason = input({ required: true });
  const blockForm = form(
    'Block a prefix',
    () =>
      void status.run('The prefix was not blocked', async () => {
        const blocked = await api.post<BlockedPrefix>('/admin/blocked-prefixes', {
          prefix: prefix.value.trim().replace(/^\+/, ''),
          reason: reason.value.trim(),
        });
        blockForm.form.reset();
        await load();
        return `Calls to +${blocked.prefix}… are refused now.`;
      }),
  );
  blockForm.body.append(
    labelled('Prefix to block', prefix, 'E.164 digits, e.g. 882 (every number starting with them)'),
    labelled('Reason for blocking', reason, 'at least 3 characters; kept in the audit log'),
    button('Block prefix', () => undefined, { type: 'submit' }),
  );

  const unblock = (entry: BlockedPrefix) =>
    void status.run(`${entry.prefix} was not unblocked`, async () => {
      await api.delete(`/admin/blocked-prefixes/${entry.prefix}`);
      await load();
      return `Calls to +${entry.prefix}… are allowed again.`;
    });

  async function load() {
    const { prefixes } = await api.get<{ prefixes: BlockedPrefix[] }>('/admin/blocked-prefixes');
    list.fill(
      prefixes.map((entry) => [
        entry.prefix,
        entry.reason,
        formatWhen(entry.createdAt),
        actions(button('Unblock', () => unblock(entry), { name: `Unblock ${entry.prefix}` })),
      ]),
    );
  }

  container.replaceChildren(status.element, list.table, blockForm.form);
  return {
    refresh: async () => void (await status.run('Blocked prefixes unavailable', async () => void (await load()))),
    clear() {
      list.fill([]);
      status.say('');
    },
  };
}
