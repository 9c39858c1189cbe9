/**
 * The ringtone of an incoming call: two tones, 440 and 480 Hz, two seconds on and four off (the North American ring,
 * ITU-T E.180), made with Web Audio so no sound file is downloaded. Where the browser's autoplay policy keeps the
 * audio suspended until the user interacts, the notification (call-notifications.ts) and the call view still ring.
 */
const CYCLE_S = 6;
const ON_S = 2;
/** Cycles scheduled at once, and again before they run out. */
const AHEAD = 10;

/** Starts ringing; returns what stops it. */
export function startRingtone(): () => void {
  const context = new AudioContext();
  const gain = context.createGain();
  gain.gain.value = 0;
  gain.connect(context.destination);
  for (const frequency of [440, 480]) {
    const tone = context.createOscillator();
    tone.frequency.value = frequency;
    tone.connect(gain);
    tone.start();
  }
  let scheduledUntil = context.currentTime;
  const schedule = () => {
    for (let cycle = 0; cycle < AHEAD; cycle += 1) {
      gain.gain.setValueAtTime(0.1, scheduledUntil);
      gain.gain.setValueAtTime(0, scheduledUntil + ON_S);
      scheduledUntil += CYCLE_S;
    }
  };
  schedule();
  const more = setInterval(schedule, ((AHEAD - 1) * CYCLE_S * 1000) | 0);
  void context.resume().catch(() => undefined);
  return () => {
    clearInterval(more);
    void context.close();
  };
}
