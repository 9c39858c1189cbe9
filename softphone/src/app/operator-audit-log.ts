/**
 * The operator console's audit log (operator-console.ts lists the sections): who did what to which account, newest
 * first, from GET /admin/audit, narrowed by account, action and a time range (UTC), a page at a time ("Older events"
 * follows the page's keyset cursor).
 */
import type { ApiClient } from './api-client.ts';
import { formatWhen, messageOf } from './format.ts';
import type { ConsoleSection } from './operator-section.ts';
import { operatorTable } from './operator-table.ts';

interface Party {
  readonly id: string;
  readonly email: string | null;
}
interface AuditEvent {
  readonly id: number;
  readonly occurredAt: string;
  readonly action: string;
  readonly actor: Party | null;
  readonly subject: Party | null;
  readonly detail: Record<string, unknown>;
}
interface AuditPage {
  readonly events: readonly AuditEvent[];
  readonly next: string | null;
}

const PAGE = 50;

function field(form: HTMLFormElement, label: string, input: HTMLInputElement): HTMLInputElement {
  const wrapper = document.createElement('label');
  wrapper.textContent = `${label} `;
  wrapper.append(input);
  form.append(wrapper);
  return input;
}

function input(type: string, name: string, placeholder = ''): HTMLInputElement {
  const element = document.createElement('input');
  element.type = type;
  element.name = name;
  element.placeholder = placeholder;
  element.spellcheck = false;
  return element;
}
const party = (who: Party | null, none: string) => (who === null ? none : (who.email ?? `erased account ${who.id.slice(0, 8)}`));
const details = (detail: Record<string, unknown>) =>
  Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
/** A datetime-local value (read as UTC, as the console's ranges are) to ISO 8601, or undefined when empty. */
const utc = (value: string) => (value === '' ? undefined : new Date(`${value}Z`).toISOString());

export function createAuditLog(api: ApiClient, container: HTMLElement): ConsoleSection {
  const form = document.createElement('form');
  form.className = 'operator-range';
  form.setAttribute('aria-label', 'Audit log filters');
  const account = field(form, 'Account ID', input('text', 'accountId', 'any account'));
  const action = field(form, 'Action', input('text', 'action', 'e.g. calls.hang_up_requested'));
  const from = field(form, 'From (UTC)', input('datetime-local', 'from'));
  const to = field(form, 'To (UTC)', input('datetime-local', 'to'));
  const show = document.createElement('button');
  show.type = 'submit';
  show.textContent = 'Show events';
  form.append(show);
  const message = document.createElement('p');
  message.setAttribute('role', 'status');
  const list = document.createElement('div');
  const older = document.createElement('button');
  older.type = 'button';
  older.textContent = 'Older events';
  older.hidden = true;
  container.replaceChildren(form, message, list, older);

  let reads = 0;
  let next: string | null = null;
  let shown: AuditEvent[] = [];

  const query = (before: string | null) => {
    const params = new URLSearchParams({ limit: String(PAGE) });
    const filters = { accountId: account.value.trim(), action: action.value.trim(), from: utc(from.value), to: utc(to.value) };
    for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
    if (before !== null) params.set('before', before);
    return `/admin/audit?${params}`;
  };

  const draw = () => {
    older.hidden = next === null;
    if (shown.length === 0) return list.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No events match.' }));
    const rows = shown.map((event) => ({
      key: String(event.id),
      cells: [formatWhen(event.occurredAt), event.action, party(event.actor, 'system'), party(event.subject, '–'), details(event.detail)],
    }));
    list.replaceChildren(operatorTable('Audit events, newest first', ['When', 'Action', 'By', 'About', 'Details'], rows));
  };

  /** Reads the first page (or, with `more`, the next one) for the filters; only the latest read draws. */
  const read = async (more: boolean) => {
    reads += 1;
    const own = reads;
    try {
      const page = await api.get<AuditPage>(query(more ? next : null));
      if (own !== reads) return;
      shown = more ? [...shown, ...page.events] : [...page.events];
      next = page.next;
      message.textContent = '';
      draw();
    } catch (error) {
      if (own === reads) message.textContent = `Audit log unavailable: ${messageOf(error)}`;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void read(false);
  });
  older.addEventListener('click', () => void read(true));
  return {
    refresh: () => read(false),
    clear() {
      reads += 1;
      shown = [];
      next = null;
      older.hidden = true;
      message.replaceChildren();
      list.replaceChildren();
      form.reset();
    },
  };
}
