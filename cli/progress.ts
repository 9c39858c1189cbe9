/**
 * A progress bar with rows/s and ETA (cli-progress) for long work, drawn on stderr only when stderr is a terminal:
 * scripts, pipes and files get nothing. stderr, not stdout: stdout carries the command's output, such as an export
 * (`dialo cdrs export > cdrs.csv` still shows the bar on the terminal and writes only records to the file).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /**
   * Work done so far (absolute), the total when it becomes known, and for work counted in steps the rows touched so
   * far (the speed is always rows/s).
   */
  update(done: number, total?: number, rows?: number): void;
  stop(): void;
}

const QUIET: Progress = { update: () => undefined, stop: () => undefined };

/** Whether a bar would be drawn: a caller may skip work (counting the total) that only the bar needs. */
export const drawsProgress = (): boolean => process.stderr.isTTY === true;

/**
 * `rows`: the bar counts rows. `steps`: the bar (and its ETA) counts steps of unknown size, and shows the rows they
 * touched beside it.
 */
export function progress(label: string, total: number, unit: 'rows' | 'steps' = 'rows'): Progress {
  if (!drawsProgress()) return QUIET;
  const counted = unit === 'rows' ? '{value}/{total} rows' : '{value}/{total} steps | {rows} rows';
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] ${counted} | {speed} rows/s | ETA {eta_formatted}`, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { speed: 0, rows: 0 });
  return {
    update(done, newTotal, rows = done) {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(done, { rows, speed: Math.round(rows / Math.max((performance.now() - started) / 1000, 0.001)) });
    },
    stop: () => bar.stop(),
  };
}
