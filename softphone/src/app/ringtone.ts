/**
 * The tones of an incoming call, made with Web Audio so no sound file is downloaded. The ringtone: 440 and 480 Hz, two
 * seconds on and four off (the North American ring, ITU-T E.180). A call waiting during a call: one soft 440 Hz burst
 * of 0.3 s every 10 s, so the call in progress is still heard. Where the browser's autoplay policy keeps the audio
 * suspended until the user interacts, the notification (call-notifications.ts) and the call view still ring.
 */
export interface TonePattern {
  readonly frequencies: readonly number[];
  readonly onS: number;
  readonly cycleS: number;
  readonly gain: number;
}

export const RING: TonePattern = { frequencies: [440, 480], onS: 2, cycleS: 6, gain: 0.1 };
export const CALL_WAITING: TonePattern = { frequencies: [440], onS: 0.3, cycleS: 10, gain: 0.05 };

/** Cycles scheduled at once, and again before they run out. */
const AHEAD = 10;

/** Starts the tone; returns what stops it. */
export function startRingtone(pattern: TonePattern = RING): () => void {
  const context = new AudioContext();
  const gain = context.createGain();
  gain.gain.value = 0;
  gain.connect(context.destination);
  for (const frequency of pattern.frequencies) {
    const tone = context.createOscillator();
    tone.frequency.value = frequency;
    tone.connect(gain);
    tone.start();
  }
  let scheduledUntil = context.currentTime;
  const schedule = () => {
    for (let cycle = 0; cycle < AHEAD; cycle += 1) {
      gain.gain.setValueAtTime(pattern.gain, scheduledUntil);
      gain.gain.setValueAtTime(0, scheduledUntil + pattern.onS);
      scheduledUntil += pattern.cycleS;
    }
  };
  schedule();
  const more = setInterval(schedule, ((AHEAD - 1) * pattern.cycleS * 1000) | 0);
  void context.resume().catch(() => undefined);
  return () => {
    clearInterval(more);
    void context.close();
  };
}
