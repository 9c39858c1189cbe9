/**
 * Call waiting's decisions, pure (waiting-call-view.ts and main.ts act on them): whether a call ringing in is shown,
 * waits beside the connected one, or is refused; what Answer and hold, Swap and Resume do, as ordered steps; what the
 * second call's panel offers, its buttons' names, and the words a call's hold state is said in. Two calls at most.
 */
import type { CallState } from '../phone/call-state.ts';

export interface Line {
  readonly state: CallState;
  /** We hold it. */
  readonly held: boolean;
}

/** `show`: rings alone; `wait`: rings as a waiting call beside the connected one; `refuse`: 486 Busy Here. */
export type Arrival = 'show' | 'wait' | 'refuse';

const live = (line: Line) => line.state !== 'ended' && line.state !== 'failed';

/** What a call ringing in does, given the calls already there. */
export function arrival(lines: readonly Line[]): Arrival {
  const up = lines.filter(live);
  if (up.length === 0) return 'show';
  // A second call waits only behind a connected one: while the first still rings or dials, there is nothing to hold.
  return up.length === 1 && up[0]!.state === 'connected' ? 'wait' : 'refuse';
}

export interface Step<T> {
  readonly do: 'hold' | 'resume' | 'answer';
  readonly call: T;
}

/** The connected calls among `others` not held yet, held first: the user never talks to two calls at once. */
const holdOthers = <T extends Line>(others: readonly T[]): Step<T>[] =>
  others.filter((other) => other.state === 'connected' && !other.held).map((call) => ({ do: 'hold', call }));

/** Answer and hold: the others held, then `waiting` answered. */
export function answerAndHold<T extends Line>(waiting: T, others: readonly T[]): Step<T>[] {
  return [...holdOthers(others), { do: 'answer', call: waiting }];
}

/** Resume `call`: whatever else is talking is held first (Resume during another call is a swap). */
export function resume<T extends Line>(call: T, others: readonly T[]): Step<T>[] {
  return call.state === 'connected' && call.held ? [...holdOthers(others), { do: 'resume', call }] : [];
}

/** The connected call talked to and the connected one held; undefined unless exactly one of each. */
function activeAndHeld<T extends Line>(lines: readonly T[]): { readonly active: T; readonly held: T } | undefined {
  const connected = lines.filter((line) => line.state === 'connected');
  const active = connected.filter((line) => !line.held);
  const held = connected.filter((line) => line.held);
  return active.length === 1 && held.length === 1 ? { active: active[0]!, held: held[0]! } : undefined;
}

/** Swap: the active call held, the held one resumed; undefined unless exactly one of each is connected. */
export function swap<T extends Line>(lines: readonly T[]): Step<T>[] | undefined {
  const pair = activeAndHeld(lines);
  return pair === undefined ? undefined : resume(pair.held, [pair.active]);
}

/**
 * Transfer to held call (attended, RFC 3891): the active call's REFER names the held one (`from.transfer(to)`), the
 * two other parties are joined and both our calls end; undefined unless exactly one call is active and one held.
 */
export function transferToHeld<T extends Line>(lines: readonly T[]): { readonly from: T; readonly to: T } | undefined {
  const pair = activeAndHeld(lines);
  return pair === undefined ? undefined : { from: pair.active, to: pair.held };
}

export interface Actor {
  hold(): Promise<void>;
  unhold(): Promise<void>;
  answer(): Promise<void>;
}

/** Runs the steps in order, each once the one before is accepted; the first refused stops the rest. */
export async function perform(steps: readonly Step<Actor>[]): Promise<void> {
  for (const step of steps) {
    if (step.do === 'hold') await step.call.hold();
    else if (step.do === 'resume') await step.call.unhold();
    else await step.call.answer();
  }
}

export type SecondLineAction = 'answer-and-hold' | 'decline' | 'swap' | 'transfer-to-held' | 'resume' | 'hang-up';

/** What the second call's panel offers, beside the first call. */
export function secondLineActions(second: Line, first: Line | undefined): SecondLineAction[] {
  if (second.state === 'ringing') return ['answer-and-hold', 'decline'];
  if (second.state !== 'connected') return [];
  if (first !== undefined && swap([first, second]) !== undefined) return ['swap', 'transfer-to-held', 'hang-up'];
  return second.held ? ['resume', 'hang-up'] : ['hang-up'];
}

/** Each button's accessible name: its words, then the calls it acts on (`second`: the panel's call, `first`: the other). */
export function actionName(action: SecondLineAction, second: Line & { readonly party: string }, first: { readonly party: string }): string {
  switch (action) {
    case 'answer-and-hold':
      return `Answer and hold: answer ${second.party}, hold ${first.party}`;
    case 'decline':
      return `Decline ${second.party}`;
    case 'swap':
      return second.held ? `Swap: hold ${first.party}, resume ${second.party}` : `Swap: hold ${second.party}, resume ${first.party}`;
    case 'transfer-to-held':
      return `Transfer to held call: join ${first.party} and ${second.party}, leaving both calls`;
    case 'resume':
      return `Resume ${second.party}`;
    case 'hang-up':
      return `Hang up ${second.party}`;
  }
}

/** A connected call's hold state in words, or undefined when nobody holds it. */
export function holdWords(line: Line & { readonly remoteHeld: boolean }): string | undefined {
  if (line.state !== 'connected') return undefined;
  if (line.held) return 'On hold';
  return line.remoteHeld ? 'Held by the other party' : undefined;
}
