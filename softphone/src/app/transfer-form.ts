/**
 * Blind transfer of the call shown: Transfer opens a number field; sending it asks the server to connect the other
 * party there (REFER: phone/call.ts `transfer`), and the line below says how it goes. Our call ends once the other
 * party is connected to the target; a refused or unanswered transfer leaves the call as it was, and says why.
 */
import type { Call } from '../phone/call.ts';
import { messageOf } from './format.ts';

export interface TransferElements {
  /** Opens and closes the form (aria-expanded says which). */
  readonly open: HTMLButtonElement;
  readonly form: HTMLFormElement;
  readonly target: HTMLInputElement;
  readonly submit: HTMLButtonElement;
  readonly cancel: HTMLButtonElement;
  /** A live region: "Transferring…", then the outcome. */
  readonly status: HTMLElement;
}

export interface TransferForm {
  /** Closes the form and clears what it said (a new call is shown). */
  reset(): void;
}

/** @param current the call the transfer acts on (the call view's). */
export function createTransferForm(elements: TransferElements, current: () => Call | undefined): TransferForm {
  let busy = false;
  const toggle = (open: boolean) => {
    elements.form.hidden = !open;
    elements.open.setAttribute('aria-expanded', String(open));
    if (open) elements.target.focus();
  };
  const settle = (transferring: boolean) => {
    busy = transferring;
    elements.submit.disabled = transferring;
    elements.target.disabled = transferring;
    elements.open.disabled = transferring;
  };
  elements.open.addEventListener('click', () => toggle(elements.form.hidden));
  elements.cancel.addEventListener('click', () => toggle(false));
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const call = current();
    const target = elements.target.value.trim();
    if (call === undefined || busy || target === '') return;
    settle(true);
    elements.status.textContent = `Transferring to ${target}…`;
    call
      .transfer(target, () => (elements.status.textContent = `Transferring to ${target}: calling…`))
      .then(
        (outcome) => {
          elements.status.textContent = outcome.ok
            ? `Transferred to ${target}`
            : `Transfer to ${target} failed: ${outcome.status === 0 ? outcome.reason : `${outcome.status} ${outcome.reason}`}. The call goes on.`;
          if (outcome.ok) toggle(false);
        },
        (error: unknown) => (elements.status.textContent = `Transfer to ${target} failed: ${messageOf(error)}`),
      )
      .finally(() => settle(false));
  });
  return {
    reset() {
      toggle(false);
      settle(false);
      elements.target.value = '';
      elements.status.textContent = '';
    },
  };
}
