// Trunk health over real drachtio-server: OPTIONS pings to two sipp carriers; one that stops answering is skipped.
import { createSocket } from 'node:dgram';
import { describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import type { TrunkState } from '../../../core/calls/trunk-health.ts';
import { sharedTrunkStates } from '../../../core/calls/trunk-state.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { runSipp, sippBinary, startSipp } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

// Every OPTIONS is a call of its own to sipp: enough for the pings of the whole test.
const CARRIER = { calls: 100_000, timeoutSeconds: 300 } as const;

describe.skipIf(missing)('trunk health over real drachtio-server', () => {
  // A trunk timeout far longer than the test waits for anything: a call sent to a silent trunk would show.
  const suite = useCallStack({ TRUNK_TIMEOUT_SECONDS: '60', TRUNK_PING_INTERVAL_MS: '200', TRUNK_PING_FAILURES: '2' }, async (db) => {
    await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
  });
  const { caller, carrier, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  const becomes = (trunkId: number, state: TrunkState) =>
    vi.waitFor(
      () => {
        const health = suite.stack.signaling.trunkHealth.get(trunkId);
        if (health.state !== state) throw new Error(`trunk ${trunkId} is ${health.state} (last ping: ${health.lastResult}), not ${state}`);
      },
      { timeout: 15_000, interval: 50 },
    );

  /** One call by a new caller; resolves with the trunk its record says carried it. */
  const callCarriedBy = async (name: string, dialled: string) => {
    const who = await caller(name, 10 * UNIT);
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [who.fields(dialled, 300)] });
    expect(call.code, call.log).toBe(0);
    return (await finishedCdr(who.accountId)).trunk_id;
  };

  it('skips a trunk that stops answering OPTIONS (no INVITE reaches it) and uses it again once it answers', async () => {
    const first = await carrier('carrier-first', 'uas-answer-options.xml', { priority: 1, ...CARRIER });
    const second = await carrier('carrier-second', 'uas-answer-options.xml', { priority: 2, ...CARRIER });
    const stops = [first.stop, second.stop];
    const silent = createSocket('udp4');
    try {
      await Promise.all([becomes(first.trunkId, 'up'), becomes(second.trunkId, 'up')]);
      expect(await callCarriedBy('alice', '+14155550100')).toBe(first.trunkId);

      // The first carrier falls silent: its sipp is gone, and a socket on its port takes every datagram, answering none.
      first.stop();
      await first.done;
      const heard: string[] = [];
      silent.on('message', (message) => heard.push(message.toString('latin1')));
      await new Promise<void>((resolve) => silent.bind(first.port, '127.0.0.1', resolve));
      await becomes(first.trunkId, 'down');
      expect(heard.some((message) => message.startsWith('OPTIONS '))).toBe(true);
      // Written for every process to read (GET /admin/trunks): this node's view, as it changed (just after the board).
      await vi.waitFor(
        async () =>
          expect((await sharedTrunkStates(suite.database.db, new Date())).health.get(first.trunkId)).toEqual([
            expect.objectContaining({ nodeId: suite.stack.config.calls.nodeId, state: 'down', stale: false, lastResult: 'timeout' }),
          ]),
        { timeout: 5000, interval: 50 },
      );
      const metrics = suite.stack.metrics.registry;
      expect(await metrics.getSingleMetricAsString('dialo_trunk_up')).toMatch(/dialo_trunk_up\{trunk="carrier-first"\} 0/);
      expect(await metrics.getSingleMetricAsString('dialo_trunk_up')).toMatch(/dialo_trunk_up\{trunk="carrier-second"\} 1/);
      expect(await metrics.getSingleMetricAsString('dialo_trunk_pings_total')).toMatch(/trunk="carrier-first",result="timeout"\} [1-9]/);

      // Straight to the second: the first never sees the INVITE (with a 60 s trunk timeout, trying it would show here).
      expect(await callCarriedBy('bob', '+14155550101')).toBe(second.trunkId);
      expect(heard.filter((message) => message.startsWith('INVITE '))).toEqual([]);

      // The first carrier answers again: back in routing, first choice as before.
      silent.close();
      const back = await startSipp({ scenario: 'uas-answer-options.xml', target: '', listenPort: first.port, ...CARRIER });
      stops.push(back.stop);
      await becomes(first.trunkId, 'up');
      expect(await metrics.getSingleMetricAsString('dialo_trunk_up')).toMatch(/dialo_trunk_up\{trunk="carrier-first"\} 1/);
      expect(await callCarriedBy('carol', '+14155550102')).toBe(first.trunkId);
    } finally {
      for (const stop of stops) stop();
      try {
        silent.close();
      } catch {
        // Closed already (or never bound).
      }
    }
  });
});
