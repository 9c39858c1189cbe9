/**
 * The operator console's dashboard section (operator-console.ts lists the sections): over the last
 * 24 hours by hour, the last 30 days by day, or chosen days (UTC; by hour up to two days, else by day), live calls and registrations, calls answered and failed per bucket with
 * ASR and ACD, refusals by reason, spend and top-ups per day, the busiest destinations and the MOS distribution, all
 * from GET /admin/dashboard/*. Each chart is a bar-chart.ts figure: captioned image and table.
 */
import type { ApiClient } from './api-client.ts';
import { barChart, type Bar } from './bar-chart.ts';
import { figure, heading, labelled, textInput } from './console-parts.ts';
import { dayRange } from './day-range.ts';
import { formatDuration, messageOf } from './format.ts';
import type { ConsoleSection } from './operator-section.ts';

interface Figures {
  readonly answered: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly talkSeconds: number;
}
interface Traffic {
  readonly bucket: 'hour' | 'day';
  readonly buckets: readonly (Figures & { readonly start: string })[];
  readonly total: Figures & { readonly asr: number | null; readonly acd: number | null };
}
interface Refusals {
  readonly reasons: readonly {
    readonly phase: 'refused' | 'failed';
    readonly reason: string | null;
    readonly sipStatus: number | null;
    readonly calls: number;
  }[];
}
interface Spend {
  readonly currency: string;
  readonly days: readonly { readonly start: string; readonly spend: string; readonly topUps: string }[];
  readonly total: { readonly spend: string; readonly topUps: string };
}
interface Destinations {
  readonly currency: string;
  readonly destinations: readonly { readonly country: string | null; readonly calls: number; readonly answered: number; readonly spend: string }[];
}
interface Quality {
  readonly bins: readonly { readonly mos: number; readonly media: number; readonly browser: number }[];
}
interface Live {
  readonly calls: { readonly answered: number; readonly settingUp: number };
  readonly registrations: { readonly bindings: number; readonly accounts: number };
}

/** The ranges offered: how far back from now, and the bucket that keeps a chart readable. */
const RANGES = {
  day: { label: 'Last 24 hours, by hour', hours: 24, bucket: 'hour' },
  month: { label: 'Last 30 days, by day', hours: 30 * 24, bucket: 'day' },
} as const;
type RangeName = keyof typeof RANGES;
const CUSTOM = 'custom';
/** A custom range of up to this many days is drawn by hour (48 bars at most), a longer one by day. */
const HOURLY_DAYS = 2;
/** A chart is a bar per bucket: past a quarter of days it stops being readable. */
const MAX_CUSTOM_DAYS = 93;
const HOUR_MS = 3_600_000;
/** How often the live figures are read again while the console is on screen. */
const LIVE_MS = 10_000;

const percent = (ratio: number | null) => (ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`);
const bucketLabel = (start: string, bucket: 'hour' | 'day') => (bucket === 'hour' ? `${start.slice(0, 10)} ${start.slice(11, 13)}:00` : start.slice(0, 10));

export function createDashboard(api: ApiClient, container: HTMLElement): ConsoleSection {
  const form = document.createElement('form');
  form.className = 'operator-range';
  const label = document.createElement('label');
  label.textContent = 'Time range ';
  const select = document.createElement('select');
  for (const [value, range] of Object.entries(RANGES)) select.add(new Option(range.label, value));
  select.add(new Option('Custom dates', CUSTOM));
  label.append(select);
  const first = textInput({ type: 'date' });
  const last = textInput({ type: 'date' });
  const days = document.createElement('span');
  days.className = 'operator-range';
  days.append(labelled('First day', first, 'UTC'), labelled('Last day', last, `UTC, included; up to ${MAX_CUSTOM_DAYS} days`));
  days.hidden = true;
  const reload = document.createElement('button');
  reload.type = 'submit';
  reload.textContent = 'Refresh';
  form.append(label, days, reload);
  const message = document.createElement('p');
  message.setAttribute('role', 'status');
  const live = document.createElement('dl');
  live.className = 'operator-figures';
  const totals = document.createElement('dl');
  totals.className = 'operator-figures';
  const charts = document.createElement('div');
  charts.className = 'operator-charts';
  container.replaceChildren(form, message, heading('Live now'), live, heading('Over the range (UTC)'), totals, charts);

  const drawLive = (now: Live) =>
    live.replaceChildren(
      figure('active-calls', 'Active calls', `${now.calls.answered} up, ${now.calls.settingUp} setting up`),
      figure('registrations', 'Registrations', `${now.registrations.bindings} devices, ${now.registrations.accounts} accounts`),
    );
  const unavailable = (error: unknown) => (message.textContent = `Dashboard unavailable: ${messageOf(error)}`);

  /** The preset's span back from now, or the custom days with their bucket; a custom pair that is not a range says why. */
  const chosenRange = (): { ok: true; from: Date; to: Date; bucket: 'hour' | 'day' } | { ok: false; problem: string } => {
    if (select.value !== CUSTOM) {
      const preset = RANGES[select.value as RangeName];
      const to = new Date();
      return { ok: true, from: new Date(to.getTime() - preset.hours * HOUR_MS), to, bucket: preset.bucket };
    }
    const custom = dayRange(first.value, last.value, { required: true, maxDays: MAX_CUSTOM_DAYS });
    if (!custom.ok) return custom;
    const { from, to, days: count } = custom;
    return { ok: true, from: from!, to: to!, bucket: count! <= HOURLY_DAYS ? 'hour' : 'day' };
  };

  /** Only the latest read draws: a slow answer for an earlier range must not replace a newer one. */
  let reads = 0;
  const refresh = async () => {
    reads += 1;
    const read = reads;
    const range = chosenRange();
    if (!range.ok) {
      message.textContent = range.problem;
      return;
    }
    const span = `from=${range.from.toISOString()}&to=${range.to.toISOString()}`;
    message.textContent = 'Loading…';
    try {
      const [now, traffic, refusals, spend, destinations, quality] = await Promise.all([
        api.get<Live>('/admin/dashboard/live'),
        api.get<Traffic>(`/admin/dashboard/traffic?${span}&bucket=${range.bucket}`),
        api.get<Refusals>(`/admin/dashboard/refusals?${span}`),
        api.get<Spend>(`/admin/dashboard/spend?${span}`),
        api.get<Destinations>(`/admin/dashboard/destinations?${span}&limit=10`),
        api.get<Quality>(`/admin/dashboard/quality?${span}`),
      ]);
      if (read !== reads) return;
      const currency = spend.currency.toUpperCase();
      const money = (amount: string) => `${amount} ${currency}`;
      const per = range.bucket === 'hour' ? 'hour' : 'day';
      drawLive(now);
      const total = traffic.total;
      totals.replaceChildren(
        figure('answered', 'Answered', String(total.answered)),
        figure('failed', 'Failed', String(total.failed)),
        figure('cancelled', 'Cancelled', String(total.cancelled)),
        figure('asr', 'ASR (answer-seizure ratio)', percent(total.asr)),
        figure('acd', 'ACD (average call duration)', total.acd === null ? '–' : formatDuration(total.acd)),
        figure('spend', 'Spend', money(spend.total.spend)),
        figure('top-ups', 'Top-ups', money(spend.total.topUps)),
      );
      const regions = new Intl.DisplayNames(undefined, { type: 'region' });
      const country = (code: string | null) => (code === null ? 'Unknown' : (regions.of(code) ?? code));
      const perBucket = (pick: (row: Figures) => number): Bar[] =>
        traffic.buckets.map((row) => ({ label: bucketLabel(row.start, traffic.bucket), value: pick(row), text: String(pick(row)) }));
      const mos = (pick: (bin: Quality['bins'][number]) => number): Bar[] =>
        quality.bins.map((bin) => ({
          label: bin.mos >= 5 ? '5.0' : `${bin.mos.toFixed(1)}–${(bin.mos + 0.5).toFixed(1)}`,
          value: pick(bin),
          text: String(pick(bin)),
        }));
      const days = (pick: (day: Spend['days'][number]) => string): Bar[] =>
        spend.days.map((day) => ({ label: day.start.slice(0, 10), value: Number(pick(day)), text: money(pick(day)) }));
      charts.replaceChildren(
        barChart(
          'answered',
          `Answered calls per ${per}`,
          [per === 'hour' ? 'Hour' : 'Day', 'Calls'],
          perBucket((row) => row.answered),
        ),
        barChart(
          'failed',
          `Failed calls per ${per}`,
          [per === 'hour' ? 'Hour' : 'Day', 'Calls'],
          perBucket((row) => row.failed),
        ),
        barChart(
          'refusals',
          'Refused and failed calls by reason',
          ['Reason', 'Calls'],
          refusals.reasons.map((row) => ({
            label: `${row.phase === 'refused' ? 'Refused' : 'Failed'}: ${row.reason ?? 'no reason'}${row.sipStatus === null ? '' : ` (${row.sipStatus})`}`,
            value: row.calls,
            text: String(row.calls),
          })),
        ),
        barChart(
          'spend',
          'Spend per day',
          ['Day', 'Spend'],
          days((day) => day.spend),
        ),
        barChart(
          'top-ups',
          'Top-ups per day',
          ['Day', 'Top-ups'],
          days((day) => day.topUps),
        ),
        barChart(
          'destinations',
          'Busiest destinations',
          ['Country', 'Calls, spend'],
          destinations.destinations.map((row) => ({ label: country(row.country), value: row.calls, text: `${row.calls} calls, ${money(row.spend)}` })),
        ),
        barChart(
          'mos-media',
          'Call quality: MOS scored by the media server',
          ['MOS', 'Calls'],
          mos((bin) => bin.media),
        ),
        barChart(
          'mos-browser',
          "Call quality: MOS scored by callers' browsers",
          ['MOS', 'Calls'],
          mos((bin) => bin.browser),
        ),
      );
      message.textContent = '';
    } catch (error) {
      if (read === reads) unavailable(error);
    }
  };
  // Live figures keep up by themselves, but only while someone can see them (not on another page or a hidden tab).
  setInterval(() => {
    if (container.offsetParent === null || document.hidden) return;
    api.get<Live>('/admin/dashboard/live').then(drawLive, unavailable);
  }, LIVE_MS);
  select.addEventListener('change', () => {
    days.hidden = select.value !== CUSTOM;
    // Custom days start as the last week, so a change of one date is a range at once.
    if (select.value === CUSTOM && first.value === '' && last.value === '') {
      const today = new Date();
      last.value = today.toISOString().slice(0, 10);
      first.value = new Date(today.getTime() - 6 * 24 * HOUR_MS).toISOString().slice(0, 10);
    }
    void refresh();
  });
  for (const input of [first, last]) input.addEventListener('change', () => void refresh());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void refresh();
  });
  return {
    refresh,
    clear() {
      reads += 1;
      for (const drawn of [message, live, totals, charts]) drawn.replaceChildren();
    },
  };
}
