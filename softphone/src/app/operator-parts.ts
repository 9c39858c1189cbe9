/**
 * What the console's management sections (trunks, numbers, rates, desk phones, blocked prefixes) are built of, beside
 * console-parts.ts's labelled fields: inputs with defaults, grouped fieldsets, tables with captions, row buttons named for their row, and a status line that says what an action
 * did or the problem the API answered with.
 */
import { ApiError } from './api-client.ts';
import { headedTable } from './headed-table.ts';
import { textInput } from './console-parts.ts';
import { messageOf } from './format.ts';

/** An input of `textInput`'s, with a default value (a form's reset() brings it back) and bounds. */
export function input(options: { type?: string; required?: boolean; value?: string; min?: number; max?: number } = {}): HTMLInputElement {
  const element = textInput(options);
  if (options.value !== undefined) element.defaultValue = options.value;
  if (options.min !== undefined) element.min = String(options.min);
  if (options.max !== undefined) element.max = String(options.max);
  return element;
}

export function checkbox(label: string): { readonly block: HTMLElement; readonly box: HTMLInputElement } {
  const box = input({ type: 'checkbox' });
  const wrapper = document.createElement('label');
  wrapper.className = 'operator-check';
  wrapper.append(box, ` ${label}`);
  return { block: wrapper, box };
}

export function select(options: readonly (readonly [value: string, text: string])[]): HTMLSelectElement {
  const element = document.createElement('select');
  for (const [value, text] of options) element.add(new Option(text, value));
  return element;
}

export function button(text: string, onClick: () => void, options: { name?: string; type?: 'button' | 'submit' } = {}): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = options.type ?? 'button';
  element.textContent = text;
  if (options.name !== undefined) element.setAttribute('aria-label', options.name);
  element.addEventListener('click', onClick);
  return element;
}

/** A form with a legend; `submit` runs on Enter or its submit button. */
export function form(
  legend: string,
  submit: () => void,
): { readonly form: HTMLFormElement; readonly legend: HTMLLegendElement; readonly body: HTMLFieldSetElement } {
  const element = document.createElement('form');
  element.className = 'operator-form';
  const fieldset = document.createElement('fieldset');
  const title = document.createElement('legend');
  title.textContent = legend;
  fieldset.append(title);
  element.append(fieldset);
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  return { form: element, legend: title, body: fieldset };
}

/** Related fields of a form under a legend of their own (a carrier's digest, its registration). */
export function group(legend: string, ...children: HTMLElement[]): HTMLFieldSetElement {
  const fieldset = document.createElement('fieldset');
  const title = document.createElement('legend');
  title.textContent = legend;
  fieldset.append(title, ...children);
  return fieldset;
}

/**
 * A table with a caption and column headings; `fill` replaces its rows, the first cell of each a row heading.
 */
export function table(
  caption: string,
  headings: readonly string[],
): { readonly table: HTMLTableElement; fill(rows: readonly (readonly (string | Node)[])[]): void } {
  // .operator-table (operator.css) scrolls sideways inside the section rather than the page.
  const { table: element, body } = headedTable('operator-table', headings);
  element.tabIndex = -1;
  element.createCaption().textContent = caption;
  return {
    table: element,
    fill(rows) {
      // A row's button that had the focus may be gone (its row removed): the table takes it, not the page's body.
      const hadFocus = body.contains(document.activeElement);
      body.replaceChildren();
      if (rows.length === 0) {
        const cell = body.insertRow().insertCell();
        cell.colSpan = headings.length;
        cell.textContent = 'None yet.';
      }
      for (const cells of rows) {
        const row = body.insertRow();
        const [first, ...rest] = cells;
        const heading = document.createElement('th');
        heading.scope = 'row';
        heading.append(first ?? '');
        row.append(heading);
        for (const content of rest) row.insertCell().append(content);
      }
      if (hadFocus) element.focus();
    },
  };
}

/** Buttons side by side in one cell. */
export function actions(...buttons: HTMLButtonElement[]): HTMLElement {
  const span = document.createElement('span');
  span.className = 'operator-actions';
  span.append(...buttons);
  return span;
}

export interface StatusLine {
  readonly element: HTMLElement;
  say(text: string): void;
  /** Runs `work`, then says what it returns, or the problem's message (and a 400's lines under it) when it fails. */
  run(failure: string, work: () => Promise<string | undefined>): Promise<boolean>;
}

export function statusLine(): StatusLine {
  const element = document.createElement('div');
  element.setAttribute('role', 'status');
  element.className = 'operator-status';
  const say = (text: string, lines: readonly string[] = []) => {
    const paragraph = document.createElement('p');
    paragraph.textContent = text;
    const list = document.createElement('ul');
    for (const line of lines) list.append(Object.assign(document.createElement('li'), { textContent: line }));
    element.replaceChildren(paragraph, ...(lines.length === 0 ? [] : [list]));
  };
  return {
    element,
    say: (text) => say(text),
    async run(failure, work) {
      try {
        const done = await work();
        if (done !== undefined) say(done);
        return true;
      } catch (error) {
        const lines = error instanceof ApiError ? error.errors.map((line) => `${line.path}: ${line.message}`) : [];
        say(`${failure}: ${messageOf(error)}`, lines);
        return false;
      }
    },
  };
}

/** The text of a list field: items split on commas, spaces or lines, blanks dropped. */
export const listOf = (text: string): string[] => text.split(/[\s,]+/).filter((item) => item !== '');
