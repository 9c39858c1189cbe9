/**
 * The second call, beside the call view's first: a call waiting during a connected call (who calls, "Call waiting",
 * Answer and hold, Decline), then, both up, Swap and Hang up, or Resume when it is the held one and the other is held
 * too; its state in words. Each button is named for the calls it acts on. The decisions are call-waiting.ts's.
 */
import type { Call, CallState } from '../phone/call.ts';
import { actionName, answerAndHold, holdWords, perform, resume, secondLineActions, swap, transferToHeld, type SecondLineAction } from './call-waiting.ts';
import { messageOf } from './format.ts';

export interface WaitingCallElements {
  readonly section: HTMLElement;
  readonly party: HTMLElement;
  readonly state: HTMLElement;
  readonly answerAndHold: HTMLButtonElement;
  readonly decline: HTMLButtonElement;
  readonly swap: HTMLButtonElement;
  readonly transferToHeld: HTMLButtonElement;
  readonly resume: HTMLButtonElement;
  readonly hangup: HTMLButtonElement;
  /** A refused step's reason. */
  readonly message: HTMLElement;
}

export interface WaitingCallView {
  /** The second call shown. */
  readonly current: Call | undefined;
  /** Shows `call` beside `first()` until it is over (then `onOver`) or released. */
  show(call: Call, onOver: (call: Call) => void): void;
  /** Takes the call out of the panel (the first call ended and the call view shows it from now on). */
  release(): Call | undefined;
  /** Shows the calls' hold states again (after the call view held or resumed the first). */
  refresh(): void;
}

/** Both calls end once the server joined their parties (its BYEs); a refusal leaves them as they were, and says why. */
async function joinHeld(pair: { readonly from: Call; readonly to: Call } | undefined): Promise<void> {
  if (pair === undefined) return;
  const outcome = await pair.from.transfer(pair.to);
  if (!outcome.ok) throw new Error(`Transfer failed: ${outcome.status === 0 ? outcome.reason : `${outcome.status} ${outcome.reason}`}. The calls go on.`);
}

/** `first`: the call view's call; `changed`: told after a button here held or resumed it. */
export function createWaitingCallView(
  elements: WaitingCallElements,
  nameOf: (user: string) => string,
  first: () => Call | undefined,
  changed: () => void,
): WaitingCallView {
  let current: Call | undefined;
  let unsubscribe: (() => void)[] = [];
  const buttons: Record<SecondLineAction, HTMLButtonElement> = {
    'answer-and-hold': elements.answerAndHold,
    decline: elements.decline,
    swap: elements.swap,
    'transfer-to-held': elements.transferToHeld,
    resume: elements.resume,
    'hang-up': elements.hangup,
  };

  const render = () => {
    if (current === undefined) return;
    const other = first();
    const state: CallState = current.state;
    elements.state.textContent = state === 'ringing' ? 'Call waiting' : (holdWords(current) ?? (state === 'connected' ? 'Connected' : ''));
    const offered = secondLineActions(current, other);
    const second = { state, held: current.held, party: nameOf(current.remoteUser) };
    const firstParty = { party: other === undefined ? 'the other call' : nameOf(other.remoteUser) };
    for (const [action, button] of Object.entries(buttons) as [SecondLineAction, HTMLButtonElement][]) {
      button.hidden = !offered.includes(action);
      button.setAttribute('aria-label', actionName(action, second, firstParty));
    }
  };

  const act = (action: (call: Call, other: Call | undefined) => Promise<void>) => () => {
    const call = current;
    if (call === undefined) return;
    elements.message.textContent = '';
    for (const button of Object.values(buttons)) button.disabled = true;
    action(call, first())
      .catch((error: unknown) => {
        elements.message.textContent = messageOf(error);
      })
      .finally(() => {
        for (const button of Object.values(buttons)) button.disabled = false;
        render();
        changed();
      });
  };
  const others = (other: Call | undefined) => (other === undefined ? [] : [other]);
  const steps: [HTMLButtonElement, (call: Call, other: Call | undefined) => Promise<void>][] = [
    [elements.answerAndHold, (call, other) => perform(answerAndHold(call, others(other)))],
    [elements.decline, (call) => call.decline()],
    [elements.swap, (call, other) => perform(swap([call, ...others(other)]) ?? [])],
    [elements.transferToHeld, (call, other) => joinHeld(transferToHeld([call, ...others(other)]))],
    [elements.resume, (call, other) => perform(resume(call, others(other)))],
    [elements.hangup, (call) => call.hangup()],
  ];
  for (const [button, action] of steps) button.addEventListener('click', act(action));

  const release = () => {
    const call = current;
    for (const stop of unsubscribe) stop();
    unsubscribe = [];
    current = undefined;
    elements.section.hidden = true;
    return call;
  };

  return {
    get current() {
      return current;
    },
    show(call, onOver) {
      current = call;
      elements.message.textContent = '';
      elements.party.textContent = `From ${nameOf(call.remoteUser)}`;
      elements.section.hidden = false;
      render();
      unsubscribe = [
        call.onRemoteHoldChange(render),
        call.onStateChange((state) => {
          if (state === 'ended' || state === 'failed') {
            release();
            onOver(call);
          } else render();
        }),
      ];
    },
    release,
    refresh: render,
  };
}
