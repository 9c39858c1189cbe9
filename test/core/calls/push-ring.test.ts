import { describe, expect, it } from 'vitest';
import { nextState } from '../../../core/calls/call-state.ts';
import { pushRingStep } from '../../../core/calls/push-ring.ts';

const waking = nextState({ phase: 'setup' }, { type: 'push', pushed: 1 });

describe('a call to a callee with no live device, woken by push (core/calls/push-ring.ts)', () => {
  it('refuses offline when no push service took a push, else rings the caller in the waking phase', () => {
    for (const counts of [
      { delivered: 0, gone: 0, failed: 0 },
      { delivered: 0, gone: 2, failed: 1 },
    ]) {
      expect(pushRingStep({ phase: 'setup' }, { type: 'pushed', counts })).toEqual({ next: 'offline' });
    }
    expect(pushRingStep({ phase: 'setup' }, { type: 'pushed', counts: { delivered: 2, gone: 1, failed: 0 } })).toEqual({
      next: 'ring-caller',
      state: { phase: 'waking', pushed: 2 },
    });
  });

  it('rings the devices once a registration leaves one live, and waits on when it left none', () => {
    expect(pushRingStep(waking, { type: 'registered', liveDevices: 1 })).toEqual({ next: 'ring-devices' });
    expect(pushRingStep(waking, { type: 'registered', liveDevices: 0 })).toEqual({ next: 'wait' });
  });

  it('ends missed with push at the deadline (480), cancelled on the caller’s CANCEL', () => {
    expect(pushRingStep(waking, { type: 'deadline' })).toEqual({ next: 'end', state: { phase: 'failed', status: 480, cause: 'missed-with-push' } });
    expect(pushRingStep(waking, { type: 'cancel' })).toEqual({ next: 'end', state: { phase: 'cancelled' } });
  });
});
