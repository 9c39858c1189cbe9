/**
 * The call in progress: who, its state (calling, ringing, connected, ended or failed with the reason), a timer once
 * connected, and what the user can do in each state: answer/decline a ringing incoming call, hang up, mute, hold and
 * send keypad tones while connected; "On hold" (ours) or "Held by the other party". The first of two calls when one
 * waits or is held beside it (waiting-call-view.ts shows the second): its buttons are then named for its party.
 */
import { costLine, type CallQuote } from './live-cost.ts';
import type { Call, CallState } from '../phone/call.ts';
import { holdWords } from './call-waiting.ts';
import { formatDuration, messageOf } from './format.ts';
import { renderKeypad } from './keypad.ts';

export interface CallViewElements {
  readonly section: HTMLElement;
  readonly party: HTMLElement;
  readonly state: HTMLElement;
  readonly timer: HTMLElement;
  readonly incomingActions: HTMLElement;
  readonly answer: HTMLButtonElement;
  readonly decline: HTMLButtonElement;
  readonly connectedActions: HTMLElement;
  readonly mute: HTMLButtonElement;
  readonly hold: HTMLButtonElement;
  readonly hangup: HTMLButtonElement;
  readonly keypad: HTMLElement;
  /** The price of an outgoing call, then its running cost. */
  readonly cost: HTMLElement;
  /** The last call's outcome, left visible after it is over. */
  readonly outcome: HTMLElement;
}

export interface CallView {
  /** Shows `call` until it is over, then calls `onOver`. */
  show(call: Call, onOver: (call: Call) => void): void;
  /** Whether a call is being shown. */
  readonly busy: boolean;
  /** The call shown. */
  readonly current: Call | undefined;
  /** Shows the call's hold state again (after another view held or resumed it). */
  refresh(): void;
  /** With a second call up, the buttons say which call they act on ("Hang up +1415…"); without, plainly. */
  nameButtons(twoCalls: boolean): void;
  /** The tariff of `call` (an outgoing one), once the API has quoted it: shown, and counted up once connected. */
  price(call: Call, quote: CallQuote): void;
  /** A keypad key pressed on the keyboard: sent as a tone while connected, as the on-screen keypad does. */
  tone(key: string): void;
  /** The signaling dropped and is being brought back with the call (true), or is back (false): said on the call's state line. */
  reconnecting(on: boolean): void;
}

function stateText(call: Call, state: CallState): string {
  switch (state) {
    case 'calling':
      return 'Calling…';
    case 'ringing':
      return call.direction === 'incoming' ? 'Incoming call' : 'Ringing…';
    case 'connected':
      return 'Connected';
    case 'ended':
      return call.end?.transferredTo === undefined ? 'Call ended' : `Call transferred to ${call.end.transferredTo}`;
    case 'failed':
      return call.end?.status === undefined ? 'Call failed' : `Call failed: ${call.end.status} ${call.end.reason ?? ''}`.trim();
  }
}

/**
 * `nameOf` turns the remote user into what is shown ("Echo test" for the echo test's number). `lines`: how Resume resumes (holding the other call first) and what hears of a hold or resume here; by default
 * Resume only resumes.
 */
export function createCallView(
  elements: CallViewElements,
  nameOf: (user: string) => string = (user) => user,
  lines: { resume(call: Call): Promise<void>; changed(): void } = { resume: (call) => call.unhold(), changed: () => undefined },
): CallView {
  let current: Call | undefined;
  let party = '';
  let named = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let quote: CallQuote | undefined;
  let connectedAt: number | undefined;
  const showCost = () => {
    elements.cost.textContent = quote === undefined ? '' : costLine(quote, connectedAt === undefined ? undefined : (Date.now() - connectedAt) / 1000);
  };

  const run = (action: () => Promise<void> | void) => {
    Promise.resolve()
      .then(action)
      .catch((error: unknown) => {
        elements.outcome.textContent = messageOf(error);
      });
  };

  const tone = (key: string) => {
    // Not into a held call: with two calls, the one being talked to may be the other.
    if (current?.state === 'connected' && !current.held) current.sendDtmf(key);
  };
  renderKeypad(elements.keypad, tone);
  elements.answer.addEventListener('click', () => run(() => current?.answer()));
  elements.decline.addEventListener('click', () => run(() => current?.decline()));
  elements.hangup.addEventListener('click', () => run(() => current?.hangup()));
  elements.mute.addEventListener('click', () => {
    if (current === undefined) return;
    if (current.muted) current.unmute();
    else current.mute();
    nameButton(elements.mute, current.muted ? 'Unmute' : 'Mute');
    elements.mute.setAttribute('aria-pressed', String(current.muted));
  });
  elements.hold.addEventListener('click', () =>
    run(async () => {
      if (current === undefined) return;
      elements.hold.disabled = true;
      try {
        await (current.held ? lines.resume(current) : current.hold());
      } finally {
        elements.hold.disabled = false;
        if (current !== undefined) render(current, current.state);
        lines.changed();
      }
    }),
  );

  const nameButton = (button: HTMLButtonElement, words: string) => {
    button.textContent = words;
    if (named) button.setAttribute('aria-label', `${words} ${party}`);
    else button.removeAttribute('aria-label');
  };

  const render = (call: Call, state: CallState) => {
    elements.state.textContent = holdWords(call) ?? stateText(call, state);
    nameButton(elements.hold, call.held ? 'Resume' : 'Hold');
    elements.hold.setAttribute('aria-pressed', String(call.held));
    nameButton(elements.mute, call.muted ? 'Unmute' : 'Mute');
    nameButton(elements.hangup, 'Hang up');
    elements.incomingActions.hidden = !(call.direction === 'incoming' && state === 'ringing');
    elements.connectedActions.hidden = state !== 'connected';
    elements.keypad.hidden = state !== 'connected';
    // Hang up is also how a caller cancels before the answer.
    elements.hangup.hidden = !(state === 'connected' || (call.direction === 'outgoing' && (state === 'calling' || state === 'ringing')));
  };

  return {
    get busy() {
      return current !== undefined;
    },
    get current() {
      return current;
    },
    refresh() {
      if (current !== undefined) render(current, current.state);
    },
    nameButtons(twoCalls) {
      named = twoCalls;
      if (current !== undefined) render(current, current.state);
    },
    price(call, callQuote) {
      if (call !== current) return;
      quote = callQuote;
      showCost();
    },
    tone,
    reconnecting(on) {
      if (current === undefined || current.state !== 'connected') return;
      if (on) elements.state.textContent = 'Reconnecting…';
      else render(current, current.state);
    },
    show(call, onOver) {
      current = call;
      quote = undefined;
      connectedAt = undefined;
      elements.cost.textContent = '';
      // The other of two calls just ended: its outcome stays said.
      if (call.connectedAt === undefined) elements.outcome.textContent = '';
      party = nameOf(call.remoteUser);
      elements.party.textContent = call.direction === 'incoming' ? `From ${party}` : party === call.remoteUser ? `To ${party}` : party;
      elements.timer.textContent = '';
      elements.mute.setAttribute('aria-pressed', String(call.muted));
      elements.section.hidden = false;
      const count = (since: number) => {
        connectedAt = since;
        elements.timer.textContent = formatDuration((Date.now() - since) / 1000);
        showCost();
        timer = setInterval(() => {
          elements.timer.textContent = formatDuration((Date.now() - since) / 1000);
          showCost();
        }, 1000);
      };
      render(call, call.state);
      // A call shown once connected: the one left when the other of two calls ended.
      if (call.connectedAt !== undefined) count(call.connectedAt);
      call.onRemoteHoldChange(() => {
        if (call === current) render(call, call.state);
      });
      call.onStateChange((state) => {
        render(call, state);
        if (state === 'connected') count(call.connectedAt ?? Date.now());
        if (state === 'ended' || state === 'failed') {
          clearInterval(timer);
          current = undefined;
          elements.section.hidden = true;
          elements.outcome.textContent = `${stateText(call, state)}${elements.timer.textContent ? ` (${elements.timer.textContent})` : ''}`;
          elements.cost.textContent = '';
          onOver(call);
        }
      });
    },
  };
}
