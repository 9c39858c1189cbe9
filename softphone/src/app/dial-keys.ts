/**
 * What a key does (keyboard-dialling.ts listens for them): on the dial screen digits, `*`, `#` and `+` go into the
 * number, Backspace takes the last character off and Enter calls; during a call digits, `*` and `#` are sent as tones.
 * Keys typed into a field (the number itself, a password, a select) are the field's own, and Enter or Space on a
 * button presses the button.
 */
export type Screen = 'dial' | 'call' | 'elsewhere';

/** Where the key was typed: a text field or select, a button or link, or anywhere else (the page itself). */
export type FocusKind = 'field' | 'control' | 'page';

export type KeyAction =
  { readonly kind: 'type'; readonly key: string } | { readonly kind: 'tone'; readonly key: string } | { readonly kind: 'erase' } | { readonly kind: 'call' };

export interface KeyPress {
  readonly key: string;
  /** Ctrl, Alt or Meta held: a browser or system shortcut, not dialling. */
  readonly modified: boolean;
}

const TONE_KEYS = /^[0-9*#]$/;

/** What a key press does, or undefined when it is not the dialler's. */
export function keyAction(press: KeyPress, screen: Screen, focus: FocusKind): KeyAction | undefined {
  if (press.modified || focus === 'field' || screen === 'elsewhere') return undefined;
  const { key } = press;
  if (screen === 'call') return TONE_KEYS.test(key) ? { kind: 'tone', key } : undefined;
  if (TONE_KEYS.test(key) || key === '+') return { kind: 'type', key };
  if (key === 'Backspace') return { kind: 'erase' };
  if (key === 'Enter' && focus === 'page') return { kind: 'call' };
  return undefined;
}
