/** The account's recent calls (GET /calls, newest first, narrowed by the filters) as a table. */
import type { ApiClient } from './api-client.ts';
import { qualityWord } from './call-quality.ts';
import { ECHO_TEST_LABEL } from './echo-test.ts';
import { formatDuration, formatWhen, messageOf } from './format.ts';

interface CallRecord {
  readonly id: string;
  /** `echo`: the echo test, `to` its number (shown as "Echo test"). */
  readonly direction: 'outbound' | 'inbound' | 'onnet' | 'echo';
  readonly from: string | null;
  readonly to: string | null;
  readonly outcome: string;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly billableSeconds: number | null;
  readonly answeredAt: string | null;
  readonly endedAt: string | null;
  readonly cost: string | null;
  /** What this browser (or another of the user's) reported of how the call sounded. */
  readonly quality: { readonly mos: number } | null;
}

export interface HistoryElements {
  readonly rows: HTMLTableSectionElement;
  readonly empty: HTMLElement;
}

export interface HistoryView {
  refresh(): Promise<void>;
  /**
   * After a call: refreshes until no listed call is still open. The server closes its record when its own legs have
   * ended, which can be a moment after this tab saw the BYE.
   */
  refreshUntilSettled(): Promise<void>;
}

const SETTLE_ATTEMPTS = 10;
const SETTLE_INTERVAL_MS = 500;

const DIRECTIONS: Record<CallRecord['direction'], string> = { outbound: 'Outgoing', inbound: 'Incoming', onnet: 'Dialo to Dialo', echo: 'Echo test' };

/** How long the call was up; billed seconds (rounded to increments, 0 for free calls) are what the cost says. */
function duration(call: CallRecord): string {
  if (call.answeredAt !== null && call.endedAt !== null) return formatDuration((Date.parse(call.endedAt) - Date.parse(call.answeredAt)) / 1000);
  return call.billableSeconds === null ? '' : formatDuration(call.billableSeconds);
}

function row(call: CallRecord, currency: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const outcome = call.reason === null ? call.outcome : `${call.outcome} (${call.reason})`;
  const to = call.direction === 'echo' ? ECHO_TEST_LABEL : (call.to ?? '');
  const quality = call.quality === null ? '' : `${qualityWord(call.quality.mos)} (MOS ${call.quality.mos.toFixed(1)})`;
  for (const text of [
    formatWhen(call.startedAt),
    DIRECTIONS[call.direction],
    call.from ?? '',
    to,
    outcome,
    duration(call),
    call.cost === null ? '' : `${call.cost} ${currency.toUpperCase()}`,
    quality,
  ]) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

/** `filters`: the query of the history's filters (usage-filters.ts), empty for every call. */
export function createHistoryView(api: ApiClient, elements: HistoryElements, filters: () => string = () => ''): HistoryView {
  /** Shows the latest calls; true when one of them is still open. */
  const load = async (): Promise<boolean> => {
    try {
      const query = filters();
      const { calls, currency } = await api.get<{ calls: CallRecord[]; currency: string }>(`/calls?limit=20${query === '' ? '' : `&${query}`}`);
      elements.rows.replaceChildren(...calls.map((call) => row(call, currency)));
      elements.empty.textContent = calls.length === 0 ? (query === '' ? 'No calls yet.' : 'No calls match these filters.') : '';
      return calls.some((call) => call.endedAt === null);
    } catch (error) {
      elements.empty.textContent = `History unavailable: ${messageOf(error)}`;
      return false;
    }
  };
  return {
    async refresh() {
      await load();
    },
    async refreshUntilSettled() {
      for (let attempt = 1; (await load()) && attempt < SETTLE_ATTEMPTS; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_INTERVAL_MS));
      }
    },
  };
}
