/**
 * The call-quality indicator: while a call is connected, reads its peer connection's stats once a second and shows
 * the MOS estimate in words and figures, round-trip time, jitter, loss and audio levels, with a warning in words
 * when the link is poor (call-quality.ts decides). When the call ends, posts the call's figures to its record.
 */
import type { Call } from '../phone/call.ts';
import type { ApiClient } from './api-client.ts';
import { qualityWord, readingOf, reportOf, sampleBetween, WARNING_TEXT, warningsOf, type QualitySample, type StatsReading } from './call-quality.ts';
import './call-quality.css';

const INTERVAL_MS = 1000;
/** The history waits for the report at most this long: a post that hangs must not leave the list stale. */
const REPORT_WAIT_MS = 3000;

export interface QualityPanel {
  /** Shows `call`'s quality while it is connected; the promise settles once its report is posted (or not sent). */
  watch(call: Call): Promise<void>;
}

const round = (value: number | undefined, unit: string) => (value === undefined ? '–' : `${Math.round(value)} ${unit}`);
const percent = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value * 100)}%`);

function render(panel: HTMLElement, sample: QualitySample, warnings: readonly string[]): void {
  const [rating, figures, warning] = panel.children as unknown as [HTMLElement, HTMLElement, HTMLElement];
  const word = sample.mos === undefined ? undefined : qualityWord(sample.mos);
  rating.textContent = sample.mos === undefined ? 'Quality: measuring…' : `Quality: ${word} (MOS ${sample.mos.toFixed(1)})`;
  panel.dataset.quality = word ?? '';
  const values = [
    round(sample.rttMs, 'ms'),
    round(sample.jitterMs, 'ms'),
    sample.lossPercent === undefined ? '–' : `${sample.lossPercent.toFixed(1)}%`,
    `${percent(sample.inLevel)} in, ${percent(sample.outLevel)} out`,
  ];
  for (const [i, dd] of [...figures.querySelectorAll('dd')].entries()) dd.textContent = values[i] ?? '';
  // Written only when it changes: the warning is a live region, and rewriting it each second would repeat it aloud.
  const warningText = warnings.length === 0 ? '' : `Warning: ${warnings.join('; ')}`;
  if (warning.textContent !== warningText) warning.textContent = warningText;
}

/** Builds the panel's parts inside `panel` (an empty element of the call view). */
function build(panel: HTMLElement): void {
  const rating = document.createElement('p');
  rating.className = 'call-quality-rating';
  const figures = document.createElement('dl');
  for (const name of ['Delay (round trip)', 'Jitter', 'Packet loss', 'Sound level']) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    figures.append(dt, document.createElement('dd'));
  }
  rating.textContent = 'Quality: measuring…';
  const warning = document.createElement('p');
  warning.className = 'call-quality-warning';
  warning.setAttribute('role', 'status');
  panel.replaceChildren(rating, figures, warning);
  panel.dataset.quality = '';
}

export function createQualityPanel(api: ApiClient, panel: HTMLElement): QualityPanel {
  return {
    watch: (call) =>
      new Promise<void>((settled) => {
        const samples: QualitySample[] = [];
        let last: StatsReading | undefined;
        let timer: ReturnType<typeof setInterval> | undefined;
        const measure = async () => {
          const connection = call.peerConnection();
          if (connection === undefined) return;
          const reading = readingOf((await connection.getStats()).values() as Iterable<Record<string, unknown>>);
          const sample = sampleBetween(last, reading);
          last = reading;
          samples.push(sample);
          render(
            panel,
            sample,
            warningsOf(samples).map((warning) => WARNING_TEXT[warning]),
          );
        };
        const stopped = call.onStateChange((state) => {
          if (state === 'connected') {
            // Fresh for each call: nothing of the last call's figures shows while the first second is measured.
            build(panel);
            panel.hidden = false;
            timer = setInterval(() => void measure().catch(() => undefined), INTERVAL_MS);
            return;
          }
          if (state !== 'ended' && state !== 'failed') return;
          clearInterval(timer);
          stopped();
          panel.hidden = true;
          const report = reportOf(samples, last);
          const recordId = call.recordId;
          if (report === undefined || recordId === undefined) return settled();
          // Best effort: a report that cannot be stored leaves the record without it, and the user is not bothered.
          setTimeout(settled, REPORT_WAIT_MS);
          api.post(`/calls/${encodeURIComponent(recordId)}/quality`, report).then(
            () => settled(),
            () => settled(),
          );
        });
      }),
  };
}
