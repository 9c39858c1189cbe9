/** The pieces the operator console's sections are built of: figures, headings, labelled fields and action forms. */
import { messageOf } from './format.ts';

/** One figure of a `<dl class="operator-figures">`: `data-figure` names it for tests and styles. */
export function figure(key: string, term: string, value: string): HTMLElement {
  const item = document.createElement('div');
  item.dataset.figure = key;
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  item.append(dt, dd);
  return item;
}

export function heading(text: string, level: 'h4' | 'h5' = 'h4'): HTMLElement {
  const element = document.createElement(level);
  element.textContent = text;
  return element;
}

/** Controls and hints get ids of their own, for the label's `for` and aria-describedby. */
let fields = 0;

/** A field: its label naming the control, and an optional hint the control is described by. */
export function labelled<T extends HTMLElement>(text: string, control: T, hint?: string): HTMLElement {
  fields += 1;
  const field = document.createElement('div');
  field.className = 'operator-field';
  control.id = `operator-field-${fields}`;
  const label = document.createElement('label');
  label.htmlFor = control.id;
  label.textContent = text;
  field.append(label, control);
  if (hint !== undefined) {
    const small = document.createElement('small');
    small.id = `operator-hint-${fields}`;
    small.textContent = hint;
    control.setAttribute('aria-describedby', small.id);
    field.append(small);
  }
  return field;
}

export function textInput(options: { type?: string; required?: boolean; maxLength?: number; inputMode?: string } = {}): HTMLInputElement {
  const input = document.createElement('input');
  input.type = options.type ?? 'text';
  input.required = options.required ?? false;
  if (options.maxLength !== undefined) input.maxLength = options.maxLength;
  if (options.inputMode !== undefined) input.inputMode = options.inputMode;
  input.autocomplete = 'off';
  return input;
}

export interface ActionForm {
  readonly form: HTMLFormElement;
  readonly button: HTMLButtonElement;
  /** Its own status line: what the last submit did, or the problem's message. */
  readonly status: HTMLElement;
}

/**
 * A form whose submit runs `act` (the button disabled meanwhile) and writes what it resolves to, or the error's
 * message (the API's problem detail), in the form's own status line.
 */
export function actionForm(name: string, controls: readonly HTMLElement[], buttonText: string, act: () => Promise<string>): ActionForm {
  const form = document.createElement('form');
  form.className = 'operator-action';
  form.setAttribute('aria-label', name);
  const button = document.createElement('button');
  button.type = 'submit';
  button.textContent = buttonText;
  const status = document.createElement('p');
  status.setAttribute('role', 'status');
  status.className = 'operator-status';
  form.append(...controls, button, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = '';
    act()
      .then(
        (done) => (status.textContent = done),
        (error: unknown) => (status.textContent = messageOf(error)),
      )
      .finally(() => (button.disabled = false));
  });
  return { form, button, status };
}
