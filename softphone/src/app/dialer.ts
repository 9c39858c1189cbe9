/** The number field, its keypad, the Call button, and the echo test's button once the API has told its number. */
import { renderKeypad } from './keypad.ts';

export interface DialerElements {
  readonly form: HTMLFormElement;
  readonly number: HTMLInputElement;
  readonly keypad: HTMLElement;
  /** Calls the echo test; hidden while its number is unknown or it is turned off. */
  readonly echoTest: HTMLButtonElement;
}

export interface Dialer {
  /** The echo test's number from the API (null: turned off), for its button. */
  setEchoTestNumber(number: string | null): void;
}

/** `onDial` gets the number as typed, without spaces, dashes or dots (`*` and `#` kept: `*43` is the echo test). */
export function createDialer(elements: DialerElements, onDial: (number: string) => void): Dialer {
  let echoTestNumber: string | null = null;
  renderKeypad(elements.keypad, (key) => {
    elements.number.value += key;
  });
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const number = elements.number.value.replace(/[\s().-]/g, '');
    if (number !== '') onDial(number);
  });
  elements.echoTest.hidden = true;
  elements.echoTest.addEventListener('click', () => {
    if (echoTestNumber !== null) onDial(echoTestNumber);
  });
  return {
    setEchoTestNumber(number) {
      echoTestNumber = number;
      elements.echoTest.hidden = number === null;
      elements.echoTest.title = number === null ? '' : `Hear yourself back (dials ${number}, free)`;
    },
  };
}
