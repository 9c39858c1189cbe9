/**
 * The dial screen: the country and number fields (formatted as typed, with the E.164 number that Call will dial shown
 * under them, phone-number.ts), the keypad, Call, the echo test's button once the API has told its number, and the
 * numbers dialled lately (recent-numbers.ts) to call again in one click, also offered as the field's suggestions.
 */
import { partyName } from './echo-test.ts';
import { renderKeypad } from './keypad.ts';
import { countryOfLanguage, countryOptions, isCountryCode, typedNumber, type CountryCode } from './phone-number.ts';
import type { RecentNumbers } from './recent-numbers.ts';
import type { ChoiceStorage } from './device-choice.ts';

export interface DialerElements {
  readonly form: HTMLFormElement;
  readonly country: HTMLSelectElement;
  readonly number: HTMLInputElement;
  /** Says what Call will dial. */
  readonly dialled: HTMLOutputElement;
  readonly keypad: HTMLElement;
  /** Calls the echo test; hidden while its number is unknown or it is turned off. */
  readonly echoTest: HTMLButtonElement;
  /** The recent numbers' section (hidden while there are none), their list, its Clear button and the field's datalist. */
  readonly recent: HTMLElement;
  readonly recentList: HTMLElement;
  readonly clearRecent: HTMLButtonElement;
  readonly suggestions: HTMLDataListElement;
}

export interface Dialer {
  /** The echo test's number from the API (null: turned off), for its button. */
  setEchoTestNumber(number: string | null): void;
  /** The signed-in account's recent numbers (undefined: signed out, none shown). */
  useRecent(recent: RecentNumbers | undefined): void;
  /** Keyboard dialling: a key added to the number, the last character taken off, Call pressed. */
  type(key: string): void;
  erase(): void;
  call(): void;
}

const COUNTRY_KEY = 'dialo.dial-country';

/**
 * `onDial` gets what to dial (E.164, or a service code such as `*43` as typed) and says whether the call was placed;
 * placed calls' numbers are remembered as recent.
 */
export function createDialer(
  elements: DialerElements,
  onDial: (number: string) => boolean,
  storage: ChoiceStorage = localStorage,
  language: string = navigator.language,
): Dialer {
  let echoTestNumber: string | null = null;
  let recent: RecentNumbers | undefined;

  const options = countryOptions(language);
  elements.country.replaceChildren(...options.map(({ code, label }) => new Option(label, code)));
  const stored = storage.getItem(COUNTRY_KEY);
  const initial: CountryCode = stored !== null && isCountryCode(stored) ? stored : (countryOfLanguage(language) ?? 'US');
  elements.country.value = initial;
  const country = (): CountryCode => (isCountryCode(elements.country.value) ? elements.country.value : initial);
  const countryName = () => elements.country.selectedOptions[0]?.textContent ?? country();

  /** Says what Call will dial; with `reformat`, rewrites the field as libphonenumber formats it. */
  const update = (reformat: boolean) => {
    const typed = typedNumber(elements.number.value, country());
    if (reformat && elements.number.value !== typed.formatted) elements.number.value = typed.formatted;
    elements.dialled.value =
      typed.dial === ''
        ? ''
        : typed.e164 !== undefined || /[*#]/.test(typed.dial)
          ? `Dials ${typed.dial}`
          : `Dials ${typed.dial}: not a complete number in ${countryName()}`;
  };

  const showRecent = () => {
    const numbers = recent?.list() ?? [];
    elements.recent.hidden = numbers.length === 0;
    elements.recentList.replaceChildren(
      ...numbers.map((number) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        const shown = partyName(number, echoTestNumber);
        button.textContent = shown === number ? typedNumber(number, country()).formatted : shown;
        button.setAttribute('aria-label', `Call ${shown} again`);
        button.addEventListener('click', () => {
          elements.number.value = number;
          update(true);
          dial();
        });
        item.append(button);
        return item;
      }),
    );
    elements.suggestions.replaceChildren(...numbers.map((number) => new Option(partyName(number, echoTestNumber), number)));
  };

  const placed = (number: string) => {
    if (!onDial(number)) return;
    recent?.remember(number);
    showRecent();
  };
  const dial = () => {
    const { dial: number } = typedNumber(elements.number.value, country());
    if (number !== '') placed(number);
  };

  const type = (key: string) => {
    elements.number.value += key;
    update(true);
  };
  renderKeypad(elements.keypad, type);
  elements.number.addEventListener('input', (event) => {
    // Reformatting while deleting, or with the caret mid-number, would put back what was just deleted or move the caret.
    const atEnd = elements.number.selectionStart === elements.number.value.length;
    update(atEnd && !(event as InputEvent).inputType?.startsWith('delete'));
  });
  elements.country.addEventListener('change', () => {
    storage.setItem(COUNTRY_KEY, country());
    update(true);
  });
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    dial();
  });
  elements.clearRecent.addEventListener('click', () => {
    recent?.clear();
    showRecent();
    elements.number.focus();
  });
  elements.echoTest.hidden = true;
  elements.echoTest.addEventListener('click', () => {
    if (echoTestNumber !== null) placed(echoTestNumber);
  });
  showRecent();

  return {
    setEchoTestNumber(number) {
      echoTestNumber = number;
      elements.echoTest.hidden = number === null;
      elements.echoTest.title = number === null ? '' : `Hear yourself back (dials ${number}, free)`;
      showRecent();
    },
    useRecent(recentNumbers) {
      recent = recentNumbers;
      showRecent();
    },
    type,
    erase() {
      // A trailing space or bracket goes with the digit before it, else Backspace would seem to do nothing.
      elements.number.value = elements.number.value.slice(0, -1).replace(/[\s().-]+$/, '');
      update(true);
    },
    call: dial,
  };
}
