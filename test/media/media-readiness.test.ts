// /readyz follows whether a media server is connected: ready with FreeSWITCH up, 503 naming media once it is killed
// (calls needing one would get 488), ready again once it is back, while /healthz stays ok throughout.
import { describe, expect, it, vi } from 'vitest';
import { useCallStack } from '../harness/call-stack.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { probeReadiness } from '../harness/readiness.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';

describe.skipIf(drachtioProvision.via === 'missing' || freeswitchProvision.via === 'missing')('readiness of the media servers (real FreeSWITCH)', () => {
  const media = useFreeSwitch({ MEDIA_SERVER_RETRY_SECONDS: '1' });
  const suite = useCallStack(media.env);

  it('is ready while FreeSWITCH is connected, not ready while it is down, and ready again after', async () => {
    const probe = await probeReadiness(suite.database, suite.stack.metrics, 'media', () => suite.stack.media!.notReadyBecause());
    const readyz = () => probe.readyz();
    try {
      expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', media: 'ok' } } });
      await media.server.crash();
      const down = await vi.waitFor(
        async () => {
          const now = await readyz();
          expect(now.status).toBe(503);
          return now.body;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(down).toMatchObject({
        type: 'https://dialo.dev/problems/not-ready',
        detail: `media: no media server connected (of 127.0.0.1:${media.server.esl.port})`,
      });
      expect(await probe.healthzStatus()).toBe(200);
      await media.server.restart();
      await vi.waitFor(async () => expect((await readyz()).status).toBe(200), { timeout: 30_000, interval: 250 });
    } finally {
      await probe.close();
    }
  }, 90_000);
});
