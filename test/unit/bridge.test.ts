import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { bridgeDialogs } from '../../signaling/call/bridge.ts';
import type { Dialog } from '../../signaling/call/dial.ts';

/** A leg as drachtio-srf hands it over: an emitter with `connected` (false once a BYE was handled) and destroy(). */
function leg(connected = true) {
  const dialog = Object.assign(new EventEmitter(), { connected, destroyed: 0, destroy() { dialog.destroyed += 1; } });
  return dialog;
}

describe('bridge', () => {
  it('ends when one leg hangs up, hanging up the other', async () => {
    const caller = leg();
    const callee = leg();
    const bridge = bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, {});
    callee.emit('destroy');
    expect(await bridge.ended).toMatchObject({ by: 'callee', cause: 'normal' });
    expect([caller.destroyed, callee.destroyed]).toEqual([1, 0]);
  });

  it('ends at once when a leg was already hung up before the bridge was made (BYE right after the answer)', async () => {
    const caller = leg(false);
    const callee = leg();
    const bridge = bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, { maxSeconds: 3600 });
    expect(await bridge.ended).toMatchObject({ by: 'caller', cause: 'normal' });
    expect([caller.destroyed, callee.destroyed]).toEqual([0, 1]);
  });
});
