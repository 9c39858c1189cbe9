/**
 * The call in progress: who, its state (calling, ringing, connected, ended or failed with the reason), a timer once
 * connected, and what the user can do in each state: answer/decline a ringing incoming call, hang up, mute, hold and
 * send keypad tones while connected. One call at a time.
 */
import { costLine, type CallQuote } from './live-cost.ts';
import type { Call, CallState } from '../phone/call.ts';
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
  /** Whether a call is being shown (a second incoming one is then refused). */
  readonly busy: boolean;
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
      return 'Call ended';
    case 'failed':
      return call.end?.status === undefined ? 'Call failed' : `Call failed: ${call.end.status} ${call.end.reason ?? ''}`.trim();
  }
}

/** `nameOf` turns the remote user into what is shown ("Echo test" for the echo test's number). */
export function createCallView(elements: CallViewElements, nameOf: (user: string) => string = (user) => user): CallView {
  let current: Call | undefined;
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
    if (current?.state === 'connected') current.sendDtmf(key);
  };
  renderKeypad(elements.keypad, tone);
  elements.answer.addEventListener('click', () => run(() => current?.answer()));
  elements.decline.addEventListener('click', () => run(() => current?.decline()));
  elements.hangup.addEventListener('click', () => run(() => current?.hangup()));
  elements.mute.addEventListener('click', () => {
    if (current === undefined) return;
    if (current.muted) current.unmute();
    else current.mute();
    elements.mute.textContent = current.muted ? 'Unmute' : 'Mute';
    elements.mute.setAttribute('aria-pressed', String(current.muted));
  });
  elements.hold.addEventListener('click', () =>
    run(async () => {
      if (current === undefined) return;
      elements.hold.disabled = true;
      try {
        await (current.held ? current.unhold() : current.hold());
      } finally {
        elements.hold.disabled = false;
        elements.hold.textContent = current.held ? 'Resume' : 'Hold';
        elements.hold.setAttribute('aria-pressed', String(current.held));
      }
    }),
  );

  const render = (call: Call, state: CallState) => {
    elements.state.textContent = stateText(call, state);
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
      elements.outcome.textContent = '';
      const party = nameOf(call.remoteUser);
      elements.party.textContent = call.direction === 'incoming' ? `From ${party}` : party === call.remoteUser ? `To ${party}` : party;
      elements.timer.textContent = '';
      elements.mute.textContent = 'Mute';
      elements.hold.textContent = 'Hold';
      elements.section.hidden = false;
      render(call, call.state);
      call.onStateChange((state) => {
        render(call, state);
        if (state === 'connected') {
          const since = Date.now();
          connectedAt = since;
          elements.timer.textContent = formatDuration(0);
          showCost();
          timer = setInterval(() => {
            elements.timer.textContent = formatDuration((Date.now() - since) / 1000);
            showCost();
          }, 1000);
        }
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
