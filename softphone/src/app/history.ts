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
  /** Never answered: nobody picked up (or the app woken by push did not register in time), busy, declined, or the caller gave up. */
  readonly missed: boolean;
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

/** Why a missed call was missed, in words; a reason not listed is shown as the server says it. */
const MISSED_BECAUSE: Record<string, string> = {
  'missed-with-push': 'your app was woken but did not answer in time',
  'caller-cancelled': 'the caller hung up',
};

/** The outcome cell: a missed call gets a "Missed" badge (its words, not only its colour, say so) and why. */
function outcomeCell(call: CallRecord): HTMLTableCellElement {
  const td = document.createElement('td');
  if (!call.missed) {
    td.textContent = call.reason === null ? call.outcome : `${call.outcome} (${call.reason})`;
    return td;
  }
  const badge = document.createElement('strong');
  badge.className = 'missed-badge';
  badge.textContent = 'Missed';
  const why = call.reason === null ? '' : (MISSED_BECAUSE[call.reason] ?? call.reason);
  td.append(badge, why === '' ? '' : ` ${why}`);
  return td;
}

/** How long the call was up; billed seconds (rounded to increments, 0 for free calls) are what the cost says. */
function duration(call: CallRecord): string {
  if (call.answeredAt !== null && call.endedAt !== null) return formatDuration((Date.parse(call.endedAt) - Date.parse(call.answeredAt)) / 1000);
  return call.billableSeconds === null ? '' : formatDuration(call.billableSeconds);
}

function row(call: CallRecord, currency: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (call.missed) tr.classList.add('missed');
  const to = call.direction === 'echo' ? ECHO_TEST_LABEL : (call.to ?? '');
  const quality = call.quality === null ? '' : `${qualityWord(call.quality.mos)} (MOS ${call.quality.mos.toFixed(1)})`;
  const cell = (text: string) => {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  };
  tr.append(
    cell(formatWhen(call.startedAt)),
    cell(DIRECTIONS[call.direction]),
    cell(call.from ?? ''),
    cell(to),
    outcomeCell(call),
    cell(duration(call)),
    cell(call.cost === null ? '' : `${call.cost} ${currency.toUpperCase()}`),
    cell(quality),
  );
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
