/**
 * Runs named periodic jobs for the `jobs` role. A job never overlaps itself; `stop()` cancels what is
 * scheduled and waits for runs in flight, so shutdown does not cut a job mid-transaction.
 */
import type { Logger } from '../logger.ts';

export interface Job {
  readonly name: string;
  readonly everyMs: number;
  /** Returns counts worth logging (rows swept, ...). Throwing is logged; the job runs again next time. */
  run(signal: AbortSignal): Promise<Record<string, number> | void>;
}

export interface Scheduler {
  /** Runs one job now (admin/CLI trigger), waiting for a run already in flight first. */
  runNow(name: string): Promise<Record<string, number> | void>;
  stop(): Promise<void>;
}

export function startScheduler(jobs: readonly Job[], logger: Logger): Scheduler {
  const abort = new AbortController();
  const running = new Map<string, Promise<Record<string, number> | void>>();
  const timers = new Set<NodeJS.Timeout>();
  const byName = new Map(jobs.map((job) => [job.name, job]));

  function runOnce(job: Job): Promise<Record<string, number> | void> {
    const previous = running.get(job.name) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const started = performance.now();
        try {
          const counts = await job.run(abort.signal);
          logger.info({ job: job.name, ms: Math.round(performance.now() - started), ...counts }, 'job done');
          return counts;
        } catch (error) {
          logger.error({ job: job.name, err: error }, 'job failed');
          throw error;
        }
      });
    running.set(job.name, run);
    void run.finally(() => running.get(job.name) === run && running.delete(job.name)).catch(() => undefined);
    return run;
  }

  function schedule(job: Job): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void runOnce(job)
        .catch(() => undefined)
        .finally(() => abort.signal.aborted || schedule(job));
    }, job.everyMs);
    timer.unref();
    timers.add(timer);
  }

  for (const job of jobs) schedule(job);

  return {
    runNow(name) {
      const job = byName.get(name);
      if (job === undefined) return Promise.reject(new Error(`no job named ${name}`));
      return runOnce(job);
    },
    async stop() {
      abort.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running.values()]);
    },
  };
}
