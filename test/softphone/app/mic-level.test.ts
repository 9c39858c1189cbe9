// The dial screen's microphone level: the loudest sample of each read, falling back slowly between sounds.
import { describe, expect, it } from 'vitest';
import { nextLevel } from '../../../softphone/src/app/mic-level.ts';

describe('microphone level', () => {
  it('is the loudest sample, either sign, at most 1', () => {
    expect(nextLevel([0, 0.2, -0.5, 0.1], 0)).toBe(0.5);
    expect(nextLevel(new Float32Array([0, 1.5]), 0)).toBe(1);
    expect(nextLevel([], 0)).toBe(0);
  });

  it('falls back gradually through silence, so a short sound stays visible', () => {
    const after = [1, 2, 3].reduce((level) => nextLevel([0, 0], level), 0.8);
    expect(after).toBeGreaterThan(0.4);
    expect(after).toBeLessThan(0.8);
  });
});
