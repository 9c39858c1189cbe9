/**
 * The operator area's door in the caller's bundle: the "Operator" link, shown only to operators (the API refuses
 * everyone else anyway), and the console's code, fetched by a dynamic import the first time an operator opens it, so
 * callers never download it.
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';
import type { OperatorConsole } from './operator-console.ts';
import type { Account } from './session.ts';

export interface OperatorAreaElements {
  readonly link: HTMLElement;
  readonly container: HTMLElement;
}

export interface OperatorArea {
  /** Whether `account` may see the console: shows or hides the link. */
  allow(account: Account | undefined): boolean;
  /** Draws (or redraws) the console; call when its view comes on screen. */
  open(): Promise<void>;
}

export const isOperator = (account: Account | undefined): boolean => account?.role === 'operator';

export function createOperatorArea(api: ApiClient, elements: OperatorAreaElements): OperatorArea {
  let loaded: Promise<OperatorConsole> | undefined;
  return {
    allow(account) {
      elements.link.hidden = !isOperator(account);
      if (elements.link.hidden) void loaded?.then((drawn) => drawn.clear());
      return !elements.link.hidden;
    },
    async open() {
      try {
        loaded ??= import('./operator-console.ts').then(({ createOperatorConsole }) => createOperatorConsole(api, elements.container));
        await (await loaded).refresh();
      } catch (error) {
        loaded = undefined;
        elements.container.textContent = `The console could not load: ${messageOf(error)}`;
      }
    },
  };
}
