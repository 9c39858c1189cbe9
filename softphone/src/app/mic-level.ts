/** The microphone level the dial screen shows: the loudest sample of each read, falling back slowly between sounds. */

/** How much of the previous level is left after one read. */
const DECAY = 0.85;

/** The next level (0 to 1) from a read of time-domain samples (-1 to 1) and the previous level. */
export function nextLevel(samples: ArrayLike<number>, previous: number): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i] ?? 0));
  return Math.max(Math.min(1, peak), previous * DECAY);
}
