// The E-model MOS estimate (ITU-T G.107, simplified as Twilio's Voice SDK computes it), from RTT, jitter and loss.
import { describe, expect, it } from 'vitest';
import { mosEstimate } from '../../../softphone/src/app/e-model.ts';

describe('E-model MOS estimate', () => {
  it('scores a clean local link near the top of the narrowband scale', () => {
    // latency 0 + 0 + 10 ms -> R = 94.768 - 10/40 = 94.518 -> MOS 1 + 3.308 + 7e-6 * 94.518 * 34.518 * 5.482 = 4.433
    expect(mosEstimate({ rttMs: 0, jitterMs: 0, lossPercent: 0 })).toBeCloseTo(4.433, 3);
  });

  it('costs little for delay below 160 ms of effective latency, then a point of R per 10 ms', () => {
    const at = (rttMs: number) => mosEstimate({ rttMs, jitterMs: 0, lossPercent: 0 })!;
    expect(at(100)).toBeGreaterThan(4.35);
    // 400 ms round trip: latency 410 -> R = 94.768 - 29 = 65.768 -> MOS 1 + 2.302 + 7e-6 * 65.768 * 5.768 * 34.232 = 3.393
    expect(at(400)).toBeCloseTo(3.393, 3);
    expect(at(100)).toBeGreaterThan(at(200));
    expect(at(200)).toBeGreaterThan(at(400));
  });

  it('counts jitter twice, as a jitter buffer holds about two of it', () => {
    expect(mosEstimate({ rttMs: 0, jitterMs: 100, lossPercent: 0 })).toBeCloseTo(mosEstimate({ rttMs: 200, jitterMs: 0, lossPercent: 0 })!, 10);
  });

  it('falls with packet loss, to 1 when the loss leaves nothing intelligible', () => {
    const clean = mosEstimate({ rttMs: 20, jitterMs: 2, lossPercent: 0 })!;
    const lossy = mosEstimate({ rttMs: 20, jitterMs: 2, lossPercent: 5 })!;
    expect(lossy).toBeLessThan(clean);
    // 5% loss: R = 94.768 - 34/40 - 12.5 = 81.418 -> MOS 1 + 2.8496 + 7e-6 * 81.418 * 21.418 * 18.582 = 4.0765
    expect(lossy).toBeCloseTo(4.0765, 3);
    expect(mosEstimate({ rttMs: 20, jitterMs: 2, lossPercent: 50 })).toBe(1);
  });

  it('gives the floor for a second or more of latency, and nothing for figures that are not measurements', () => {
    expect(mosEstimate({ rttMs: 2000, jitterMs: 0, lossPercent: 0 })).toBeCloseTo(1, 1);
    expect(mosEstimate({ rttMs: -1, jitterMs: 0, lossPercent: 0 })).toBeUndefined();
    expect(mosEstimate({ rttMs: Number.NaN, jitterMs: 0, lossPercent: 0 })).toBeUndefined();
  });
});
