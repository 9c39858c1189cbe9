/**
 * Dialling from the keyboard, on the page itself: each key press is read as dial-keys.ts decides, by the screen showing
 * and where the focus is.
 */
import { keyAction, type FocusKind, type KeyAction, type Screen } from './dial-keys.ts';

export function focusKind(target: EventTarget | null): FocusKind {
  if (!(target instanceof HTMLElement)) return 'page';
  if (target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) {
    return 'field';
  }
  return target.closest('button, a[href], summary') === null ? 'page' : 'control';
}

/** Listens on `root` for keys while `screen()` says which screen shows; `act` carries out what they mean. */
export function listenForDialKeys(root: Document, screen: () => Screen, act: (action: KeyAction) => void): void {
  root.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const action = keyAction({ key: event.key, modified: event.ctrlKey || event.altKey || event.metaKey }, screen(), focusKind(event.target));
    if (action === undefined) return;
    event.preventDefault();
    act(action);
  });
}
