/**
 * How a call sounds, from the peer connection's statistics (W3C webrtc-stats), read once a second: each second's
 * round-trip time, jitter, packet loss, audio levels and MOS estimate (e-model.ts); warnings when the link is poor,
 * as Twilio's Voice SDK raises them; and the whole call's figures that the app reports at its end. Pure: the page
 * hands in the stats reports (quality-panel.ts), so all of this is tested without a browser.
 */
import { mosEstimate } from './e-model.ts';

/** One getStats() reading, cumulative where the stats are. */
export interface StatsReading {
  /** Round-trip time, ms: RTCP's for the audio when the far end sends reports, else ICE's (STUN consent checks). */
  readonly rttMs: number | undefined;
  /** Interarrival jitter of the received audio (RFC 3550 §6.4.1), ms. */
  readonly jitterMs: number | undefined;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  /** 0-1: what the far end's audio measures as played, and what our microphone sends. */
  readonly inLevel: number | undefined;
  readonly outLevel: number | undefined;
}

type Stat = Readonly<Record<string, unknown>>;
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const ms = (seconds: unknown): number | undefined => {
  const value = num(seconds);
  return value === undefined ? undefined : value * 1000;
};

/**
 * The figures of one getStats() report (pass `report.values()`): the audio streams, and the candidate pair in use.
 * @example
 * const reading = readingOf((await connection.getStats()).values());
 */
export function readingOf(stats: Iterable<Stat>): StatsReading {
  let rtcpRtt: number | undefined;
  let iceRtt: number | undefined;
  let jitterMs: number | undefined;
  let packetsReceived = 0;
  let packetsLost = 0;
  let inLevel: number | undefined;
  let outLevel: number | undefined;
  const pairs = new Map<unknown, Stat>();
  const selected = new Set<unknown>();
  for (const stat of stats) {
    if (stat.kind !== undefined && stat.kind !== 'audio') continue;
    switch (stat.type) {
      case 'inbound-rtp':
        jitterMs = ms(stat.jitter) ?? jitterMs;
        packetsReceived += num(stat.packetsReceived) ?? 0;
        // Can go negative with duplicates (RFC 3550 §6.4.1).
        packetsLost += Math.max(0, num(stat.packetsLost) ?? 0);
        inLevel = num(stat.audioLevel) ?? inLevel;
        break;
      case 'remote-inbound-rtp':
        rtcpRtt = ms(stat.roundTripTime) ?? rtcpRtt;
        break;
      case 'media-source':
        outLevel = num(stat.audioLevel) ?? outLevel;
        break;
      case 'candidate-pair':
        pairs.set(stat.id, stat);
        break;
      case 'transport':
        selected.add(stat.selectedCandidatePairId);
        break;
    }
  }
  // The pair in use: the one a transport names, else (browsers that do not name it) a nominated one that succeeded.
  for (const pair of pairs.values()) {
    const inUse = selected.size > 0 ? selected.has(pair.id) : pair.nominated === true && pair.state === 'succeeded';
    if (inUse) iceRtt = ms(pair.currentRoundTripTime) ?? iceRtt;
  }
  return { rttMs: rtcpRtt ?? iceRtt, jitterMs, packetsReceived, packetsLost, inLevel, outLevel };
}

/** One second of the call. */
export interface QualitySample {
  readonly rttMs: number | undefined;
  readonly jitterMs: number | undefined;
  /** Of the packets due since the previous reading, percent lost; undefined when none were due. */
  readonly lossPercent: number | undefined;
  readonly mos: number | undefined;
  readonly inLevel: number | undefined;
  readonly outLevel: number | undefined;
}

/**
 * The second between two readings. Loss is of that second alone (cumulative counters subtracted), as Twilio
 * computes it per sample; the MOS uses it, so it reacts to a burst rather than averaging it away.
 */
export function sampleBetween(previous: StatsReading | undefined, current: StatsReading): QualitySample {
  const received = current.packetsReceived - (previous?.packetsReceived ?? 0);
  const lost = Math.max(0, current.packetsLost - (previous?.packetsLost ?? 0));
  const due = received + lost;
  const lossPercent = due > 0 ? (100 * lost) / due : undefined;
  const mos =
    current.rttMs === undefined || current.jitterMs === undefined
      ? undefined
      : mosEstimate({ rttMs: current.rttMs, jitterMs: current.jitterMs, lossPercent: lossPercent ?? 0 });
  return { rttMs: current.rttMs, jitterMs: current.jitterMs, lossPercent, mos, inLevel: current.inLevel, outLevel: current.outLevel };
}

export type QualityWarning = 'high-rtt' | 'high-jitter' | 'high-packet-loss' | 'low-mos';

/**
 * Twilio's Voice SDK thresholds (twilio.com/docs/voice/sdks/javascript/twilio-call, "warning" events; Voice Insights
 * FAQ: one sample a second, a warning when 3 of the last 5 cross). Loss: Twilio warns above 1%; at 50 packets a
 * second a single lost packet is 2%, which would warn on any loss at all, so we warn above 3%.
 */
export const WARN_ABOVE = { 'high-rtt': 400, 'high-jitter': 30, 'high-packet-loss': 3 } as const;
export const WARN_MOS_BELOW = 3.5;
const WINDOW = 5;
const CROSSINGS = 3;

function crosses(sample: QualitySample, warning: QualityWarning): boolean {
  switch (warning) {
    case 'high-rtt':
      return (sample.rttMs ?? 0) > WARN_ABOVE['high-rtt'];
    case 'high-jitter':
      return (sample.jitterMs ?? 0) > WARN_ABOVE['high-jitter'];
    case 'high-packet-loss':
      return (sample.lossPercent ?? 0) > WARN_ABOVE['high-packet-loss'];
    case 'low-mos':
      return sample.mos !== undefined && sample.mos < WARN_MOS_BELOW;
  }
}

const WARNINGS: readonly QualityWarning[] = ['high-rtt', 'high-jitter', 'high-packet-loss', 'low-mos'];

/** The warnings that hold now: each crossed in at least 3 of the last 5 samples. */
export function warningsOf(recent: readonly QualitySample[]): QualityWarning[] {
  const window = recent.slice(-WINDOW);
  return WARNINGS.filter((warning) => window.filter((sample) => crosses(sample, warning)).length >= CROSSINGS);
}

/** The rating in words, so the indicator never relies on colour (Twilio's bands: 4.0 and up good, below 3.5 poor). */
export function qualityWord(mos: number): 'good' | 'fair' | 'poor' {
  return mos >= 4 ? 'good' : mos >= WARN_MOS_BELOW ? 'fair' : 'poor';
}

/** What each warning tells the user. */
export const WARNING_TEXT: Readonly<Record<QualityWarning, string>> = {
  'high-rtt': 'Long delay on the line',
  'high-jitter': 'Unsteady connection (jitter)',
  'high-packet-loss': 'Audio is being lost',
  'low-mos': 'Poor audio quality',
};

/** The whole call's figures, as POST /calls/:id/quality takes them. */
export interface QualityReport {
  /** Mean of the per-second estimates, two decimals. */
  readonly mos: number;
  readonly rttMs: number;
  readonly jitterMs: number;
  /** Of all packets due over the call, thousandths lost. */
  readonly packetLossPermille: number;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * What a call's samples add up to, with the last reading's cumulative counters for the loss; undefined when no
 * second of it was measured (a call that ended at once has nothing to report).
 */
export function reportOf(samples: readonly QualitySample[], last: StatsReading | undefined): QualityReport | undefined {
  const scored = samples.filter((sample) => sample.mos !== undefined);
  if (scored.length === 0 || last === undefined) return undefined;
  const due = last.packetsReceived + last.packetsLost;
  return {
    mos: Math.round(mean(scored.map((sample) => sample.mos!)) * 100) / 100,
    rttMs: Math.round(mean(scored.map((sample) => sample.rttMs!))),
    jitterMs: Math.round(mean(scored.map((sample) => sample.jitterMs!))),
    packetLossPermille: due === 0 ? 0 : Math.round((1000 * last.packetsLost) / due),
  };
}
