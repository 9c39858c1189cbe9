/**
 * Which microphone and speaker the app uses: the one the user chose last time in this browser (localStorage, by
 * deviceId), while it is connected; else the browser's default, saying the chosen one is missing. A chosen device that
 * is unplugged stays remembered, so it is used again once it is back.
 */
export type DeviceKind = 'microphone' | 'speaker';

/** The part of `localStorage` the choice needs (a Map stands in for it in tests). */
export interface ChoiceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const storageKey = (kind: DeviceKind) => `dialo.${kind}`;

export function rememberedDevice(storage: ChoiceStorage, kind: DeviceKind): string | undefined {
  return storage.getItem(storageKey(kind)) ?? undefined;
}

export function rememberDevice(storage: ChoiceStorage, kind: DeviceKind, deviceId: string): void {
  storage.setItem(storageKey(kind), deviceId);
}

export interface DeviceChoice {
  /** The device to use, or undefined for the browser's default. */
  readonly deviceId: string | undefined;
  /** True when a remembered device is not among the connected ones (the default is used meanwhile). */
  readonly missing: boolean;
}

/** Picks from the connected devices' ids by what is remembered. */
export function chooseDevice(connected: readonly string[], remembered: string | undefined): DeviceChoice {
  if (remembered === undefined) return { deviceId: undefined, missing: false };
  return connected.includes(remembered) ? { deviceId: remembered, missing: false } : { deviceId: undefined, missing: true };
}
