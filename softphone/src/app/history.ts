/** The account's recent calls (GET /calls, newest first) as a table. */
import type { ApiClient } from './api-client.ts';
import { formatDuration, formatWhen, messageOf } from './format.ts';

interface CallRecord {
  readonly id: string;
  readonly direction: 'outbound' | 'inbound' | 'onnet';
  readonly from: string | null;
  readonly to: string | null;
  readonly outcome: string;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly billableSeconds: number | null;
  readonly answeredAt: string | null;
  readonly endedAt: string | null;
  readonly cost: string | null;
}

export interface HistoryElements {
  readonly rows: HTMLTableSectionElement;
  readonly empty: HTMLElement;
}

export interface HistoryView {
  refresh(): Promise<void>;
}

const DIRECTIONS: Record<CallRecord['direction'], string> = { outbound: 'Outgoing', inbound: 'Incoming', onnet: 'Dialo to Dialo' };

function duration(call: CallRecord): string {
  if (call.billableSeconds !== null) return formatDuration(call.billableSeconds);
  if (call.answeredAt === null || call.endedAt === null) return '';
  return formatDuration((Date.parse(call.endedAt) - Date.parse(call.answeredAt)) / 1000);
}

function row(call: CallRecord): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const outcome = call.reason === null ? call.outcome : `${call.outcome} (${call.reason})`;
  for (const text of [formatWhen(call.startedAt), DIRECTIONS[call.direction], call.from ?? '', call.to ?? '', outcome, duration(call), call.cost ?? '']) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

export function createHistoryView(api: ApiClient, elements: HistoryElements): HistoryView {
  return {
    async refresh() {
      try {
        const { calls } = await api.get<{ calls: CallRecord[] }>('/calls?limit=20');
        elements.rows.replaceChildren(...calls.map(row));
        elements.empty.textContent = calls.length === 0 ? 'No calls yet.' : '';
      } catch (error) {
        elements.empty.textContent = `History unavailable: ${messageOf(error)}`;
      }
    },
  };
}
