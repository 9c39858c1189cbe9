/**
 * The operator console's live calls (operator-console.ts lists the sections): the calls not ended yet, from
 * GET /admin/calls/live, read again every few seconds while on screen, each with a button that asks the
 * node holding it to hang it up, answered or still ringing (POST /admin/calls/:id/hang-up; the call ends within a poll of that node). Numbers
 * come masked from the API.
 */
import type { ApiClient } from './api-client.ts';
import { formatDuration, formatWhen, messageOf } from './format.ts';
import type { ConsoleSection } from './operator-section.ts';
import { operatorTable } from './operator-table.ts';

interface LiveCall {
  readonly id: string;
  readonly direction: 'outbound' | 'inbound' | 'onnet' | 'echo';
  readonly accountEmail: string | null;
  readonly trunk: string | null;
  readonly phase: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly startedAt: string;
  readonly seconds: number;
  readonly hangUpRequestedAt: string | null;
}

/** How often the list is read again while on screen. */
const POLL_MS = 3_000;
const DIRECTIONS: Record<LiveCall['direction'], string> = { outbound: 'Outbound', inbound: 'Inbound', onnet: 'On-net', echo: 'Echo test' };

export function createLiveCalls(api: ApiClient, container: HTMLElement): ConsoleSection {
  const reload = document.createElement('button');
  reload.type = 'button';
  reload.textContent = 'Refresh live calls';
  const message = document.createElement('p');
  message.setAttribute('role', 'status');
  const list = document.createElement('div');
  container.replaceChildren(reload, message, list);

  let reads = 0;
  const hangUp = async (call: LiveCall, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await api.post(`/admin/calls/${call.id}/hang-up`);
      message.textContent = `Hanging up the call to ${call.to ?? 'an unknown number'}.`;
    } catch (error) {
      message.textContent = `Hang-up refused: ${messageOf(error)}`;
    }
    await refresh();
  };

  const hangUpButton = (call: LiveCall) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Hang up';
    // Named for the call, so that each button on the page says which call it ends.
    button.setAttribute('aria-label', `Hang up the call from ${call.from ?? 'unknown'} to ${call.to ?? 'unknown'} started ${formatWhen(call.startedAt)}`);
    button.addEventListener('click', () => void hangUp(call, button));
    return button;
  };

  const draw = (calls: readonly LiveCall[]) => {
    if (calls.length === 0) return list.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No calls up now.' }));
    const rows = calls.map((call) => {
      // Ringing ones too: the node cancels their legs and answers the caller (core/calls/hang-up-request.ts).
      const action = call.hangUpRequestedAt !== null ? 'Hanging up…' : hangUpButton(call);
      return {
        key: call.id,
        cells: [
          formatWhen(call.startedAt),
          DIRECTIONS[call.direction],
          call.accountEmail ?? '–',
          call.trunk ?? '–',
          call.from ?? '–',
          call.to ?? '–',
          call.phase,
          formatDuration(call.seconds),
          action,
        ],
      };
    });
    list.replaceChildren(
      operatorTable('Calls not ended yet, newest first', ['Started', 'Direction', 'Account', 'Trunk', 'From', 'To', 'Phase', 'Duration', 'Action'], rows),
    );
  };

  /** Only the latest read draws: a slow answer must not replace a newer one. */
  const refresh = async () => {
    reads += 1;
    const read = reads;
    try {
      const { calls } = await api.get<{ calls: LiveCall[] }>('/admin/calls/live');
      if (read === reads) draw(calls);
    } catch (error) {
      if (read === reads) message.textContent = `Live calls unavailable: ${messageOf(error)}`;
    }
  };
  // Kept up by itself, but only while someone can see it (not on another section or a hidden tab).
  setInterval(() => {
    if (container.offsetParent === null || document.hidden) return;
    void refresh();
  }, POLL_MS);
  reload.addEventListener('click', () => void refresh());
  return {
    refresh,
    clear() {
      reads += 1;
      message.replaceChildren();
      list.replaceChildren();
    },
  };
}
