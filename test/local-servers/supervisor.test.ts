// The supervisor with tiny real children (node -e): a crash is restarted with doubling delays up to the cap, a killed
// child comes back with a new PID, and stop() ends it for good, with SIGKILL when it ignores SIGTERM.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../logger.ts';
import { supervise, type ChildSpec } from '../../local-servers/supervisor.ts';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('supervise', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dialo-supervisor-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const child = (name: string, script: string, ready: () => Promise<boolean> = async () => true): ChildSpec => ({
    name,
    command: process.execPath,
    args: ['-e', script],
    logFile: join(folder, `${name}.log`),
    ready,
    readyTimeoutMs: 10_000,
  });

  it('restarts a crashing child with doubling delays up to the cap, and stops restarting once stopped', async () => {
    const lines: { restartInMs?: number; msg: string }[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const crashing = supervise(child('crashing', "console.log('up'); process.exit(3)"), logger, {
      backoff: { initialMs: 20, maxMs: 80, resetAfterMs: 60_000 },
    });
    await vi.waitFor(() => expect(lines.filter((line) => line.msg === 'local server exited; restarting').length).toBeGreaterThanOrEqual(5), {
      timeout: 20_000,
    });
    await crashing.stop();
    const delays = lines.filter((line) => line.msg === 'local server exited; restarting').map((line) => line.restartInMs);
    expect(delays.slice(0, 5)).toEqual([20, 40, 80, 80, 80]);
    const log = await readFile(join(folder, 'crashing.log'), 'utf8');
    expect(log).toMatch(/\[crashing\] up\n/);
    expect(log).toMatch(/\[crashing\] exited \(3\)\n/);
    const starts = (await readFile(join(folder, 'crashing.log'), 'utf8')).match(/started /g)?.length;
    // Nothing starts after stop(): the count read now is the count read later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await readFile(join(folder, 'crashing.log'), 'utf8')).match(/started /g)?.length).toBe(starts);
  });

  it('brings a killed child back with a new PID; stop() SIGKILLs one that ignores SIGTERM', async () => {
    const logger = createLogger('silent');
    const stubborn = supervise(child('stubborn', "process.on('SIGTERM', () => console.log('ignored')); setInterval(() => undefined, 1000)"), logger, {
      backoff: { initialMs: 20, maxMs: 80, resetAfterMs: 60_000 },
    });
    await stubborn.firstReady;
    const first = stubborn.pid()!;
    process.kill(first, 'SIGKILL');
    const second = await vi.waitFor(
      () => {
        const pid = stubborn.pid();
        if (pid === undefined || pid === first) throw new Error('not restarted yet');
        return pid;
      },
      { timeout: 10_000 },
    );
    expect(pidAlive(first)).toBe(false);
    await stubborn.stop(300);
    expect(pidAlive(second)).toBe(false);
    expect(stubborn.pid()).toBeUndefined();
  });

  it('rejects firstReady when the child never becomes ready, and keeps nothing running after stop()', async () => {
    const never = supervise({ ...child('never', 'setInterval(() => undefined, 1000)', async () => false), readyTimeoutMs: 300 }, createLogger('silent'));
    await expect(never.firstReady).rejects.toThrow(/never not ready within 300 ms/);
    const pid = never.pid()!;
    await never.stop();
    expect(pidAlive(pid)).toBe(false);
    // One that dies at once, again and again, is not ready either (each start alone is short of the limit).
    const crashing = supervise({ ...child('crash-loop', 'process.exit(1)', async () => false), readyTimeoutMs: 300 }, createLogger('silent'), {
      backoff: { initialMs: 20, maxMs: 20, resetAfterMs: 60_000 },
    });
    await expect(crashing.firstReady).rejects.toThrow(/crash-loop not ready within 300 ms/);
    await crashing.stop();
  });
});
