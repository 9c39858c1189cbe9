/** The microphone level on the dial screen: a WebAudio AnalyserNode on the microphone's stream, read 20 times a second. */
import { nextLevel } from './mic-level.ts';

const READ_EVERY_MS = 50;

/** Shows `stream`'s level through `show` until the returned function is called (which leaves the stream running). */
export function startMicMeter(stream: MediaStream, show: (level: number) => void): () => void {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  source.connect(analyser);
  // Without a user gesture yet (a reload that resumes the session), the browser may keep the context suspended.
  const resume = () => void context.resume();
  if (context.state === 'suspended') document.addEventListener('pointerdown', resume, { once: true });
  const samples = new Float32Array(analyser.fftSize);
  let level = 0;
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    level = nextLevel(samples, level);
    show(level);
  }, READ_EVERY_MS);
  return () => {
    clearInterval(timer);
    document.removeEventListener('pointerdown', resume);
    source.disconnect();
    void context.close();
    show(0);
  };
}
