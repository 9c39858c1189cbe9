/** The number field, its keypad and the Call button. */
import { renderKeypad } from './keypad.ts';

export interface DialerElements {
  readonly form: HTMLFormElement;
  readonly number: HTMLInputElement;
  readonly keypad: HTMLElement;
}

/** `onDial` gets the number as typed, without spaces, dashes or dots. */
export function createDialer(elements: DialerElements, onDial: (number: string) => void): void {
  renderKeypad(elements.keypad, (key) => {
    elements.number.value += key;
  });
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const number = elements.number.value.replace(/[\s().-]/g, '');
    if (number !== '') onDial(number);
  });
}
