import { describe, expect, it } from 'vitest';
import { startScheduler, type Job } from '../../jobs/scheduler.ts';
import { createLogger } from '../../logger.ts';

const silent = createLogger('silent');

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('job scheduler', () => {
  it('never runs a job twice at once, and runNow waits its turn', async () => {
    let active = 0;
    let maxActive = 0;
    const release = gate();
    const job: Job = {
      name: 'sweep',
      everyMs: 60_000,
      async run() {
        active++;
        maxActive = Math.max(maxActive, active);
        await release.opened;
        active--;
        return { swept: 1 };
      },
    };
    const scheduler = startScheduler([job], silent);
    const first = scheduler.runNow('sweep');
    const second = scheduler.runNow('sweep');
    release.open();
    expect(await Promise.all([first, second])).toEqual([{ swept: 1 }, { swept: 1 }]);
    expect(maxActive).toBe(1);
    await scheduler.stop();
  });

  it('stop() waits for a run in flight and aborts its signal', async () => {
    const release = gate();
    const started = gate();
    let sawAbort = false;
    let finished = false;
    const scheduler = startScheduler(
      [
        {
          name: 'slow',
          everyMs: 60_000,
          async run(signal) {
            started.open();
            await release.opened;
            sawAbort = signal.aborted;
            finished = true;
          },
        },
      ],
      silent,
    );
    void scheduler.runNow('slow');
    await started.opened;
    const stopped = scheduler.stop();
    release.open();
    await stopped;
    expect(finished).toBe(true);
    expect(sawAbort).toBe(true);
  });

  it('rejects an unknown job name', async () => {
    const scheduler = startScheduler([], silent);
    await expect(scheduler.runNow('nope')).rejects.toThrow('no job named nope');
    await scheduler.stop();
  });
});
