// /readyz follows whether SIP is really served: a drachtio-server that is up but answers nothing (SIGSTOP) makes
// the signaling role not ready, while /healthz stays ok; once it answers again (SIGCONT), ready again.
import { describe, expect, it, vi } from 'vitest';
import { useCallStack } from '../harness/call-stack.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { probeReadiness } from '../harness/readiness.ts';

describe.skipIf(drachtioProvision.via === 'missing')('readiness of the signaling role', () => {
  const suite = useCallStack({ SIP_PROBE_SECONDS: '1' });

  it('is ready while drachtio-server answers SIP, not ready while it does not, and ready again after', async () => {
    const probe = await probeReadiness(suite.database, suite.stack.metrics, 'signaling', () => suite.stack.signaling.notReadyBecause());
    const readyz = () => probe.readyz();
    try {
      await vi.waitFor(async () => expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', signaling: 'ok' } } }), {
        timeout: 10_000,
      });
      suite.stack.drachtio.signal('SIGSTOP');
      try {
        const stuck = await vi.waitFor(
          async () => {
            const now = await readyz();
            expect(now.status).toBe(503);
            return now.body;
          },
          { timeout: 15_000, interval: 250 },
        );
        expect(stuck).toMatchObject({ type: 'https://dialo.dev/problems/not-ready', detail: expect.stringMatching(/^signaling: /) });
        // The process and its database are fine: only readiness says SIP is not served.
        expect(await probe.healthzStatus()).toBe(200);
      } finally {
        suite.stack.drachtio.signal('SIGCONT');
      }
      await vi.waitFor(async () => expect((await readyz()).status).toBe(200), { timeout: 20_000, interval: 250 });
    } finally {
      await probe.close();
    }
  }, 60_000);
});
