// Call waiting's decisions: a call ringing in is shown, waits, or is busy; Answer and hold, Swap and Resume as ordered
// steps (hold before talking); what the second call's panel offers and what its buttons are called.
import { describe, expect, it } from 'vitest';
import type { CallState } from '../../../softphone/src/phone/call-state.ts';
import {
  actionName,
  answerAndHold,
  arrival,
  holdWords,
  perform,
  resume,
  secondLineActions,
  swap,
  transferToHeld,
  type Actor,
} from '../../../softphone/src/app/call-waiting.ts';

const line = (name: string, state: CallState, held = false) => ({ name, state, held });

describe('call waiting', () => {
  it('a call ringing in rings alone, waits behind one connected call, and is busy otherwise', () => {
    expect(arrival([])).toBe('show');
    expect(arrival([line('over', 'ended'), line('refused', 'failed')])).toBe('show');
    expect(arrival([line('alice', 'connected')])).toBe('wait');
    expect(arrival([line('alice', 'connected', true)])).toBe('wait');
    expect(arrival([line('alice', 'connected'), line('old', 'ended')])).toBe('wait');
    // Nothing to hold while the first still rings or dials.
    expect(arrival([line('alice', 'ringing')])).toBe('refuse');
    expect(arrival([line('alice', 'calling')])).toBe('refuse');
    // A third call while two are up.
    expect(arrival([line('alice', 'connected', true), line('carol', 'connected')])).toBe('refuse');
    expect(arrival([line('alice', 'connected'), line('carol', 'ringing')])).toBe('refuse');
  });

  it('answer and hold: the talking call is held first, then the waiting one answered', () => {
    const [alice, carol] = [line('alice', 'connected'), line('carol', 'ringing')];
    expect(answerAndHold(carol, [alice])).toEqual([
      { do: 'hold', call: alice },
      { do: 'answer', call: carol },
    ]);
    // Already held: only the answer.
    const held = line('alice', 'connected', true);
    expect(answerAndHold(carol, [held])).toEqual([{ do: 'answer', call: carol }]);
  });

  it('transfer to held call: the active call refers, naming the held one; nothing to join otherwise', () => {
    const [alice, carol] = [line('alice', 'connected'), line('carol', 'connected', true)];
    expect(transferToHeld([carol, alice])).toEqual({ from: alice, to: carol });
    expect(transferToHeld([alice, carol])).toEqual({ from: alice, to: carol });
    expect(transferToHeld([alice, line('b', 'connected')])).toBeUndefined();
    expect(transferToHeld([alice, line('b', 'ringing')])).toBeUndefined();
    expect(actionName('transfer-to-held', { ...carol, party: '+14155550102' }, { party: '+14155550100' })).toBe(
      'Transfer to held call: join +14155550100 and +14155550102, leaving both calls',
    );
  });

  it('swap holds the active call before resuming the held one; nothing to swap otherwise', () => {
    const [alice, carol] = [line('alice', 'connected', true), line('carol', 'connected')];
    expect(swap([alice, carol])).toEqual([
      { do: 'hold', call: carol },
      { do: 'resume', call: alice },
    ]);
    expect(swap([carol, alice])).toEqual(swap([alice, carol]));
    expect(swap([line('a', 'connected', true), line('b', 'connected', true)])).toBeUndefined();
    expect(swap([line('a', 'connected'), line('b', 'connected')])).toBeUndefined();
    expect(swap([line('a', 'connected'), line('b', 'ringing')])).toBeUndefined();
    expect(swap([line('a', 'connected', true)])).toBeUndefined();
  });

  it('resume holds whatever else is talking first; a call not held needs nothing', () => {
    const [alice, carol] = [line('alice', 'connected', true), line('carol', 'connected')];
    expect(resume(alice, [carol])).toEqual([
      { do: 'hold', call: carol },
      { do: 'resume', call: alice },
    ]);
    expect(resume(alice, [])).toEqual([{ do: 'resume', call: alice }]);
    expect(resume(alice, [line('carol', 'connected', true)])).toEqual([{ do: 'resume', call: alice }]);
    expect(resume(carol, [alice])).toEqual([]);
  });

  it("the second call's panel: Answer and hold and Decline while it waits; Swap or Resume, and Hang up, once up", () => {
    const alice = line('alice', 'connected');
    expect(secondLineActions(line('carol', 'ringing'), alice)).toEqual(['answer-and-hold', 'decline']);
    expect(secondLineActions(line('carol', 'connected'), line('alice', 'connected', true))).toEqual(['swap', 'transfer-to-held', 'hang-up']);
    expect(secondLineActions(line('carol', 'connected', true), alice)).toEqual(['swap', 'transfer-to-held', 'hang-up']);
    // Both held: the panel's call is resumed on its own.
    expect(secondLineActions(line('carol', 'connected', true), line('alice', 'connected', true))).toEqual(['resume', 'hang-up']);
    expect(secondLineActions(line('carol', 'connected'), undefined)).toEqual(['hang-up']);
    expect(secondLineActions(line('carol', 'ended'), alice)).toEqual([]);
  });

  it('names each button for the calls it acts on', () => {
    const alice = { party: '+14155550100' };
    const carol = { ...line('carol', 'ringing'), party: '+14155550102' };
    expect(actionName('answer-and-hold', carol, alice)).toBe('Answer and hold: answer +14155550102, hold +14155550100');
    expect(actionName('decline', carol, alice)).toBe('Decline +14155550102');
    expect(actionName('swap', { ...carol, state: 'connected', held: true }, alice)).toBe('Swap: hold +14155550100, resume +14155550102');
    expect(actionName('swap', { ...carol, state: 'connected' }, alice)).toBe('Swap: hold +14155550102, resume +14155550100');
    expect(actionName('resume', carol, alice)).toBe('Resume +14155550102');
    expect(actionName('hang-up', carol, alice)).toBe('Hang up +14155550102');
  });

  it("says a connected call's hold in words: ours first, then the other party's", () => {
    expect(holdWords({ state: 'connected', held: true, remoteHeld: true })).toBe('On hold');
    expect(holdWords({ state: 'connected', held: false, remoteHeld: true })).toBe('Held by the other party');
    expect(holdWords({ state: 'connected', held: false, remoteHeld: false })).toBeUndefined();
    expect(holdWords({ state: 'ended', held: true, remoteHeld: false })).toBeUndefined();
  });

  it('performs the steps in order, each after the last was accepted; a refusal stops the rest', async () => {
    const done: string[] = [];
    const actor = (name: string, refuse?: string): Actor => {
      const step = (what: string) => async () => {
        await Promise.resolve();
        if (what === refuse) throw new Error(`${name} refused ${what}`);
        done.push(`${what} ${name}`);
      };
      return { hold: step('hold'), unhold: step('resume'), answer: step('answer') };
    };
    const [alice, carol] = [actor('alice'), actor('carol')];
    await perform([
      { do: 'hold', call: alice },
      { do: 'answer', call: carol },
    ]);
    await perform([
      { do: 'hold', call: carol },
      { do: 'resume', call: alice },
    ]);
    expect(done).toEqual(['hold alice', 'answer carol', 'hold carol', 'resume alice']);
    done.length = 0;
    await expect(
      perform([
        { do: 'hold', call: actor('alice', 'hold') },
        { do: 'answer', call: carol },
      ]),
    ).rejects.toThrow('alice refused hold');
    expect(done).toEqual([]);
  });
});
