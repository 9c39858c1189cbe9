/**
 * A mean opinion score estimate from what a WebRTC endpoint can measure: the ITU-T G.107 E-model, simplified as
 * Twilio's Voice SDK computes it (the same constants; Cole & Rosenbluth, "Voice over IP performance monitoring",
 * ACM SIGCOMM CCR 31(2), 2001): delay and loss lower the rating R from its ceiling, and R maps to MOS (G.107 Annex B).
 */

/** R for a perfect G.711-class channel with default impairments (G.107's 93.2, as Twilio's SDK rounds it up). */
const R_CEILING = 94.768;
/** R lost per percent of packets lost; a loss above R / 2.5 percent leaves nothing intelligible. */
const LOSS_WEIGHT = 2.5;
/** R never reported lower for a call that is still up (Twilio's floor). */
const R_FLOOR = 6.52;

export interface LinkFigures {
  /** Round-trip time, ms. */
  readonly rttMs: number;
  /** Interarrival jitter of the received audio, ms. */
  readonly jitterMs: number;
  /** Received packets lost, percent (0-100). */
  readonly lossPercent: number;
}

/**
 * MOS from 1 (unintelligible) to about 4.4 (the best a narrowband channel scores); undefined for figures that are
 * not measurements (negative, or not finite).
 * @example
 * mosEstimate({ rttMs: 40, jitterMs: 5, lossPercent: 0 }); // ≈ 4.4
 */
export function mosEstimate(figures: LinkFigures): number | undefined {
  const { rttMs, jitterMs, lossPercent } = figures;
  if (![rttMs, jitterMs, lossPercent].every((value) => Number.isFinite(value) && value >= 0)) return undefined;
  // Jitter counts double: a jitter buffer holds about two of it; 10 ms for the codec.
  const latency = rttMs + 2 * jitterMs + 10;
  // Delay costs little up to 160 ms, then a point of R per 10 ms (G.107's delay impairment Id, linearised).
  let r = latency < 160 ? R_CEILING - latency / 40 : latency < 1000 ? R_CEILING - (latency - 120) / 10 : 0;
  r = lossPercent <= r / LOSS_WEIGHT ? Math.max(r - LOSS_WEIGHT * lossPercent, R_FLOOR) : 0;
  if (r <= 0) return 1;
  // G.107 Annex B: R to MOS.
  return Math.min(4.5, Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)));
}
