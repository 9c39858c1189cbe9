/**
 * The dial screen's microphone and speaker: two <select>s listing the browser's audio inputs and outputs, the choice
 * remembered in this browser and followed as devices come and go (device-choice.ts, `devicechange`), a level meter on
 * the chosen microphone while the dial screen shows (mic-meter.ts), and, when the microphone cannot be used, why
 * (microphone-errors.ts). Browsers name devices only once the page may use the microphone: opening the meter asks.
 * The speaker is the call audio element's output (setSinkId); where the browser cannot choose one, it says so.
 */
import { chooseDevice, rememberDevice, rememberedDevice, type ChoiceStorage, type DeviceKind } from './device-choice.ts';
import { messageOf } from './format.ts';
import { startMicMeter } from './mic-meter.ts';
import { microphoneErrorMessage } from './microphone-errors.ts';

export interface DevicesElements {
  /** Everything below; hidden when not on the dial screen. */
  readonly section: HTMLElement;
  readonly microphone: HTMLSelectElement;
  readonly level: HTMLMeterElement;
  /** The speaker's label and select, hidden where the browser cannot choose an output. */
  readonly speakerChoice: HTMLElement;
  readonly speaker: HTMLSelectElement;
  readonly message: HTMLElement;
}

export interface Devices {
  /** The chosen microphone's deviceId, or undefined for the browser's default: what calls ask for. */
  microphoneId(): string | undefined;
  /** True on the dial screen: lists the devices and meters the microphone; false (a call, another page): releases it. */
  setActive(active: boolean): void;
}

const NAMES: Record<DeviceKind, string> = { microphone: 'Microphone', speaker: 'Speaker' };

export function createDevices(elements: DevicesElements, remoteAudio: HTMLAudioElement, storage: ChoiceStorage = localStorage): Devices {
  // Undefined outside a secure context (https or localhost).
  const media = navigator.mediaDevices as MediaDevices | undefined;
  const canChooseSpeaker = 'setSinkId' in remoteAudio;
  const chosen: Record<DeviceKind, string | undefined> = { microphone: undefined, speaker: undefined };
  /** What is said under the selects: why the microphone cannot be used, and each kind's fallback. */
  const notes = { problem: '', microphone: '', speaker: '' };
  let active = false;
  /** Counts meter openings, so one that resolves after being overtaken (or released) lets its stream go. */
  let opening = 0;
  let stopMeter: (() => void) | undefined;

  const render = () => {
    elements.message.textContent = [notes.problem, notes.microphone, notes.speaker].filter((note) => note !== '').join(' ');
  };

  const useSpeaker = (deviceId: string | undefined) => {
    chosen.speaker = deviceId;
    remoteAudio.setSinkId(deviceId ?? '').catch((error: unknown) => {
      notes.speaker = `The speaker cannot be used (${messageOf(error)}): calls play on the default one.`;
      render();
    });
  };

  /** Lists the connected devices in the selects and applies what is remembered (or the default, saying why). */
  const refresh = async (devices: MediaDevices) => {
    const all = await devices.enumerateDevices();
    // Before the page may use the microphone, browsers list devices without ids: nothing to choose from yet.
    if (!all.some((device) => device.deviceId !== '')) return;
    const connected = (kind: MediaDeviceKind) => all.filter((device) => device.kind === kind && device.deviceId !== '');
    const pick = (kind: DeviceKind, select: HTMLSelectElement, found: MediaDeviceInfo[]) => {
      const choice = chooseDevice(
        found.map((device) => device.deviceId),
        rememberedDevice(storage, kind),
      );
      select.replaceChildren(...found.map((device, index) => new Option(device.label || `${NAMES[kind]} ${index + 1}`, device.deviceId)));
      select.disabled = found.length === 0;
      if (choice.deviceId !== undefined) select.value = choice.deviceId;
      notes[kind] = choice.missing ? `The ${kind} you chose is not connected: the default one is used until it is back.` : '';
      return choice.deviceId;
    };
    chosen.microphone = pick('microphone', elements.microphone, connected('audioinput'));
    if (canChooseSpeaker) {
      const speaker = pick('speaker', elements.speaker, connected('audiooutput'));
      if (speaker !== chosen.speaker) useSpeaker(speaker);
    }
    render();
  };

  const release = () => {
    opening++;
    stopMeter?.();
    stopMeter = undefined;
  };

  /** Opens the chosen microphone for the meter (asking permission the first time), then lists the devices. */
  const openMeter = async (devices: MediaDevices) => {
    release();
    const attempt = opening;
    // Not `exact`: a remembered microphone that is gone falls back to the default, and refresh() says so.
    const wanted = chosen.microphone ?? rememberedDevice(storage, 'microphone');
    try {
      const stream = await devices.getUserMedia({ audio: wanted === undefined ? true : { deviceId: wanted }, video: false });
      if (attempt !== opening) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      const stopLevel = startMicMeter(stream, (level) => (elements.level.value = level));
      stopMeter = () => {
        stopLevel();
        for (const track of stream.getTracks()) track.stop();
      };
      notes.problem = '';
      await refresh(devices);
    } catch (error) {
      if (attempt !== opening) return;
      notes.problem = microphoneErrorMessage(error);
      render();
    }
  };

  if (media === undefined) {
    notes.problem = 'This page cannot use a microphone: open Dialo over https (or on localhost).';
    render();
  } else {
    // A device plugged in or out: list again; on the dial screen, meter the microphone now chosen (or say none is left).
    media.addEventListener('devicechange', () => void (active ? openMeter(media) : refresh(media)));
  }
  elements.speakerChoice.hidden = !canChooseSpeaker;
  if (!canChooseSpeaker) notes.speaker = 'This browser cannot choose a speaker: calls play on the system’s default one.';

  elements.microphone.addEventListener('change', () => {
    rememberDevice(storage, 'microphone', elements.microphone.value);
    chosen.microphone = elements.microphone.value;
    notes.microphone = '';
    render();
    if (active && media !== undefined) void openMeter(media);
  });
  elements.speaker.addEventListener('change', () => {
    rememberDevice(storage, 'speaker', elements.speaker.value);
    notes.speaker = '';
    render();
    useSpeaker(elements.speaker.value);
  });

  return {
    microphoneId: () => chosen.microphone,
    setActive(next) {
      elements.section.hidden = !next;
      if (next === active) return;
      active = next;
      if (!active) release();
      else if (media !== undefined) void openMeter(media);
    },
  };
}
