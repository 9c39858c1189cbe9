// The microphone and speaker the app uses: the one chosen in this browser while it is connected, else the default.
import { describe, expect, it } from 'vitest';
import { chooseDevice, rememberDevice, rememberedDevice, type ChoiceStorage } from '../../../softphone/src/app/device-choice.ts';

/** localStorage's two methods over a Map. */
function memoryStorage(): ChoiceStorage & { readonly entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, getItem: (key) => entries.get(key) ?? null, setItem: (key, value) => void entries.set(key, value) };
}

describe('device choice', () => {
  it('remembers a microphone and a speaker apart, under dialo.* keys', () => {
    const storage = memoryStorage();
    expect(rememberedDevice(storage, 'microphone')).toBeUndefined();
    rememberDevice(storage, 'microphone', 'mic-2');
    rememberDevice(storage, 'speaker', 'out-1');
    expect(rememberedDevice(storage, 'microphone')).toBe('mic-2');
    expect(rememberedDevice(storage, 'speaker')).toBe('out-1');
    expect([...storage.entries.keys()]).toEqual(['dialo.microphone', 'dialo.speaker']);
  });

  it('uses the remembered device while it is connected, else the default and says it is missing', () => {
    expect(chooseDevice(['default', 'mic-1', 'mic-2'], 'mic-2')).toEqual({ deviceId: 'mic-2', missing: false });
    expect(chooseDevice(['default', 'mic-1'], 'mic-2')).toEqual({ deviceId: undefined, missing: true });
    expect(chooseDevice([], 'mic-2')).toEqual({ deviceId: undefined, missing: true });
  });

  it('uses the default, with nothing to say, when nothing was chosen', () => {
    expect(chooseDevice(['default', 'mic-1'], undefined)).toEqual({ deviceId: undefined, missing: false });
  });

  it('keeps a missing device remembered, so it is used again once it is back', () => {
    const storage = memoryStorage();
    rememberDevice(storage, 'microphone', 'headset');
    expect(chooseDevice(['default'], rememberedDevice(storage, 'microphone')).missing).toBe(true);
    expect(chooseDevice(['default', 'headset'], rememberedDevice(storage, 'microphone'))).toEqual({ deviceId: 'headset', missing: false });
  });
});
