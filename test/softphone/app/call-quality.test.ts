// The call-quality indicator's decisions, from getStats() reports as Chromium writes them (W3C webrtc-stats).
import { describe, expect, it } from 'vitest';
import { qualityWord, readingOf, reportOf, sampleBetween, warningsOf, type QualitySample, type StatsReading } from '../../../softphone/src/app/call-quality.ts';

/** A report's stats, the audio of one call through one ICE pair; `seconds` of 50 packets each, `lost` of them lost. */
function stats(options: { packets: number; lost: number; jitter: number; rtt: number; rtcpRtt?: number }) {
  return [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1' },
    { id: 'CP1', type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: options.rtt },
    // Another pair that ICE checked but does not use: its RTT must not count.
    { id: 'CP2', type: 'candidate-pair', state: 'succeeded', nominated: false, currentRoundTripTime: 9 },
    { id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: options.packets, packetsLost: options.lost, jitter: options.jitter, audioLevel: 0.25 },
    { id: 'S1', type: 'media-source', kind: 'audio', audioLevel: 0.5 },
    // Video stats (none in our calls, but a report may hold them) are not audio.
    { id: 'IT2', type: 'inbound-rtp', kind: 'video', packetsReceived: 1000, packetsLost: 500, jitter: 1 },
    ...(options.rtcpRtt === undefined ? [] : [{ id: 'RI1', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: options.rtcpRtt }]),
  ];
}

describe('reading getStats()', () => {
  it("takes the audio's counters, jitter and levels, and the RTT of the ICE pair in use, in ms", () => {
    expect(readingOf(stats({ packets: 500, lost: 5, jitter: 0.004, rtt: 0.021 }))).toEqual({
      rttMs: 21,
      jitterMs: 4,
      packetsReceived: 500,
      packetsLost: 5,
      inLevel: 0.25,
      outLevel: 0.5,
    });
  });

  it("prefers RTCP's round trip for the audio when the far end sends reports", () => {
    expect(readingOf(stats({ packets: 1, lost: 0, jitter: 0, rtt: 0.021, rtcpRtt: 0.08 })).rttMs).toBe(80);
  });

  it('has no RTT or jitter before media flows, and counts a negative loss (duplicates) as none', () => {
    expect(readingOf([{ id: 'IT1', type: 'inbound-rtp', kind: 'audio', packetsReceived: 3, packetsLost: -2 }])).toEqual({
      rttMs: undefined,
      jitterMs: undefined,
      packetsReceived: 3,
      packetsLost: 0,
      inLevel: undefined,
      outLevel: undefined,
    });
  });
});

const reading = (packetsReceived: number, packetsLost: number, rttMs = 20, jitterMs = 2): StatsReading => ({
  rttMs,
  jitterMs,
  packetsReceived,
  packetsLost,
  inLevel: 0.1,
  outLevel: 0.2,
});

describe('one second of the call', () => {
  it('takes the loss of that second alone, and scores it with the E-model', () => {
    const first = sampleBetween(undefined, reading(50, 0));
    expect(first).toMatchObject({ rttMs: 20, jitterMs: 2, lossPercent: 0 });
    expect(first.mos).toBeGreaterThan(4.3);
    // 1000 packets due before, 45 received and 5 lost in this second: 10%, however clean the call was before.
    const burst = sampleBetween(reading(995, 5), reading(1040, 10));
    expect(burst.lossPercent).toBe(10);
    expect(burst.mos).toBeLessThan(first.mos!);
  });

  it('has no loss figure when no packet was due, and no MOS without an RTT', () => {
    expect(sampleBetween(reading(50, 0), reading(50, 0)).lossPercent).toBeUndefined();
    expect(sampleBetween(undefined, { ...reading(50, 0), rttMs: undefined }).mos).toBeUndefined();
  });
});

const sample = (over: Partial<QualitySample> = {}): QualitySample => ({
  rttMs: 20,
  jitterMs: 2,
  lossPercent: 0,
  mos: 4.4,
  inLevel: 0.1,
  outLevel: 0.1,
  ...over,
});

describe('warnings', () => {
  it('warns when 3 of the last 5 seconds cross a threshold, as Twilio does', () => {
    const slow = sample({ rttMs: 450 });
    expect(warningsOf([slow, slow, sample(), sample()])).toEqual([]);
    expect(warningsOf([slow, sample(), slow, sample(), slow])).toEqual(['high-rtt']);
    // Older than the last five: forgotten.
    expect(warningsOf([slow, slow, slow, sample(), sample(), sample(), sample(), sample()])).toEqual([]);
  });

  it('at RTT above 400 ms, jitter above 30 ms, loss above 3% and MOS below 3.5; at the thresholds, none', () => {
    const at = sample({ rttMs: 400, jitterMs: 30, lossPercent: 3, mos: 3.5 });
    expect(warningsOf([at, at, at])).toEqual([]);
    const poor = sample({ rttMs: 401, jitterMs: 31, lossPercent: 3.1, mos: 3.49 });
    expect(warningsOf([poor, poor, poor])).toEqual(['high-rtt', 'high-jitter', 'high-packet-loss', 'low-mos']);
  });

  it('says the rating in words: good from 4.0, fair from 3.5, poor below', () => {
    expect([4.4, 4, 3.99, 3.5, 3.49, 1].map(qualityWord)).toEqual(['good', 'good', 'fair', 'fair', 'poor', 'poor']);
  });
});

describe("the call's report", () => {
  it('averages the scored seconds, and takes the loss over the whole call in thousandths', () => {
    const samples = [sample({ mos: 4.4, rttMs: 20, jitterMs: 2 }), sample({ mos: undefined, rttMs: undefined }), sample({ mos: 4.1, rttMs: 41, jitterMs: 5 })];
    expect(reportOf(samples, reading(997, 3))).toEqual({ mos: 4.25, rttMs: 31, jitterMs: 4, packetLossPermille: 3 });
  });

  it('has nothing to report for a call no second of which was measured', () => {
    expect(reportOf([], undefined)).toBeUndefined();
    expect(reportOf([sample({ mos: undefined })], reading(10, 0))).toBeUndefined();
  });
});
