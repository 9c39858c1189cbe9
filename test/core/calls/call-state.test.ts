import { describe, expect, expectTypeOf, it } from 'vitest';
import { IllegalTransition, isTerminal, nextState, talkSeconds, type CallEvent, type CallState, type InPhase } from '../../../core/calls/call-state.ts';
import { refusal } from '../../../core/calls/refusal.ts';

const t0 = new Date('2026-11-29T12:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function run(events: CallEvent[]): CallState {
  return events.reduce<CallState>(nextState, { phase: 'setup' });
}

describe('call state machine', () => {
  it('walks setup → dialing → answered → ended and counts started seconds', () => {
    const ended = run([
      { type: 'dial', target: 'trunk-a' },
      { type: 'answer', at: at(0) },
      { type: 'hangup', by: 'callee', at: at(12_001), cause: 'normal' },
    ]);
    expect(ended).toMatchObject({ phase: 'ended', by: 'callee', target: 'trunk-a' });
    expect(isTerminal(ended)).toBe(true);
  });

  it('closes an orphaned call: an answered one ends at its last sign of life, by the system; an unanswered one fails', () => {
    const answered = nextState(nextState({ phase: 'setup' }, { type: 'dial', target: 'trunk-a' }), { type: 'answer', at: at(0) });
    expect(nextState(answered, { type: 'orphaned', at: at(30_000) })).toEqual({
      phase: 'ended',
      target: 'trunk-a',
      answeredAt: at(0),
      endedAt: at(30_000),
      by: 'system',
      cause: 'orphaned-by-restart',
    });
    expect(nextState({ phase: 'setup' }, { type: 'orphaned', at: at(0) })).toEqual({
      phase: 'failed',
      status: null,
      cause: 'orphaned-by-restart',
      by: 'system',
    });
    expect(nextState({ phase: 'dialing', attempt: 1, target: 'trunk-a' }, { type: 'orphaned', at: at(0) })).toMatchObject({ phase: 'failed' });
    expect(() => nextState({ phase: 'cancelled' }, { type: 'orphaned', at: at(0) })).toThrow(IllegalTransition);
  });

  it("types a transition's result by its event: a hangup gives an ended state, with no cast", () => {
    const answered = nextState(nextState({ phase: 'setup' }, { type: 'dial', target: 'trunk-a' }), { type: 'answer', at: at(0) });
    expectTypeOf(answered).toEqualTypeOf<InPhase<'answered'>>();
    const ended = nextState(answered, { type: 'hangup', by: 'callee', at: at(12_001), cause: 'normal' });
    expectTypeOf(ended).toEqualTypeOf<InPhase<'ended'>>();
    expect(talkSeconds(ended)).toBe(13);
    // The type says where an event leads; the machine still refuses it from a phase that does not take it.
    expect(() => nextState(ended, { type: 'answer', at: at(13_000) })).toThrow(IllegalTransition);
  });

  it('holds a pushed call waking: a registered device is dialled, a cancel cancels, no device in time fails 480 missed-with-push', () => {
    const waking = nextState({ phase: 'setup' }, { type: 'push', pushed: 2 });
    expect(waking).toEqual({ phase: 'waking', pushed: 2 });
    expect(nextState(waking, { type: 'dial', target: '1 device(s)' })).toEqual({ phase: 'dialing', attempt: 1, target: '1 device(s)' });
    expect(nextState(waking, { type: 'cancel' })).toEqual({ phase: 'cancelled' });
    expect(nextState(waking, { type: 'no-device-woke' })).toEqual({ phase: 'failed', status: 480, cause: 'missed-with-push' });
    expect(nextState(waking, { type: 'orphaned', at: at(0) })).toMatchObject({ phase: 'failed', status: null, by: 'system' });
    expect(nextState(waking, { type: 'fault', at: at(0) })).toMatchObject({ phase: 'failed', status: 500, by: 'system' });
    // Nothing answers a call nobody was rung for, and only a call not yet dialled can wait for a push.
    expect(() => nextState(waking, { type: 'answer', at: at(0) })).toThrow(IllegalTransition);
    expect(() => nextState({ phase: 'dialing', attempt: 1, target: 'x' }, { type: 'push', pushed: 1 })).toThrow(IllegalTransition);
    expect(() => nextState({ phase: 'dialing', attempt: 1, target: 'x' }, { type: 'no-device-woke' })).toThrow(IllegalTransition);
  });

  it('fails over to the next route, counting attempts, and fails when no route is left', () => {
    const second = run([
      { type: 'dial', target: 'trunk-a' },
      { type: 'dial', target: 'trunk-b' },
    ]);
    expect(second).toEqual({ phase: 'dialing', attempt: 2, target: 'trunk-b' });
    expect(nextState(second, { type: 'attempt-failed', status: 503, cause: 'trunk busy' })).toEqual({ phase: 'failed', status: 503, cause: 'trunk busy' });
  });

  it('refuses only before dialing, and a cancel before answer ends the call', () => {
    expect(run([{ type: 'refuse', refusal: refusal('no-credit') }])).toEqual({ phase: 'refused', refusal: { reason: 'no-credit' } });
    expect(run([{ type: 'dial', target: 'x' }, { type: 'cancel' }])).toEqual({ phase: 'cancelled' });
    expect(() =>
      run([
        { type: 'dial', target: 'x' },
        { type: 'refuse', refusal: refusal('no-credit') },
      ]),
    ).toThrow(IllegalTransition);
  });

  it.each<[string, CallEvent[]]>([
    ['answer before dialing', [{ type: 'answer', at: t0 }]],
    [
      'hangup of a call never answered',
      [
        { type: 'dial', target: 'x' },
        { type: 'hangup', by: 'caller', at: t0, cause: 'normal' },
      ],
    ],
    ['cancel after answer', [{ type: 'dial', target: 'x' }, { type: 'answer', at: t0 }, { type: 'cancel' }]],
    [
      'anything after the end',
      [
        { type: 'dial', target: 'x' },
        { type: 'answer', at: t0 },
        { type: 'hangup', by: 'caller', at: t0, cause: 'normal' },
        { type: 'answer', at: t0 },
      ],
    ],
  ])('rejects %s', (_name, events) => {
    expect(() => run(events)).toThrow(IllegalTransition);
  });
});
