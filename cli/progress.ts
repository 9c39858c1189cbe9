/**
 * A progress bar with rows/s (or steps/s) and ETA (cli-progress) for long work, drawn on stderr only when stderr is a terminal:
 * scripts, pipes and files get nothing (and stdout stays the command's output, such as an export).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Rows done so far (absolute), and the total when it becomes known. */
  update(done: number, total?: number): void;
  stop(): void;
}

const QUIET: Progress = { update: () => undefined, stop: () => undefined };

export function progress(label: string, total: number, unit = 'rows'): Progress {
  if (process.stderr.isTTY !== true) return QUIET;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { speed: 0 });
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(done, { speed: Math.round(done / Math.max((performance.now() - started) / 1000, 0.001)) });
    },
    stop: () => bar.stop(),
  };
}
